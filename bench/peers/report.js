// placeholder
export const SECTION_TITLE = '## Peers side by side';
/** @param {unknown} r */
export const peersMarkdown = (r) => JSON.stringify(r);
/** @param {string} md @param {string} s */
export const withPeersSection = (md, s) => md + s;
