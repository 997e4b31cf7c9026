// happy-dom has no IndexedDB (PLATFORM.md): give every test a fresh in-memory one.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach } from 'vitest';

beforeEach(() => {
  globalThis.indexedDB = new IDBFactory();
  try {
    localStorage.clear();
    sessionStorage.clear();
  } catch {
    // node environment: no storage
  }
});
