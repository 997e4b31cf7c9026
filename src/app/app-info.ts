/** The demo app's identity in telemetry (`resource.app`, `resource.version`), shared by the page and the worker. */
import { version as packageVersion } from '../../package.json';

export const APP_NAME: string = import.meta.env.VITE_TELEMETRY_APP || 'pwa-telemetry-demo';
export const APP_VERSION: string = import.meta.env.VITE_TELEMETRY_VERSION || packageVersion;
