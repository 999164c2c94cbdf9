/** Another controller serves this store (a PostgreSQL store's advisory lock is taken). */
export class StoreBusyError extends Error {}
