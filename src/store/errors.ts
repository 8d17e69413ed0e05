/** Stable codes of the errors the store raises (besides StoreConflictError, declared with the interface). */
export type StoreErrorCode =
  | 'STORE_NOT_MIGRATED'
  | 'STORE_CLOSED'
  | 'STORE_INVALID_KIND'
  | 'STORE_INVALID_NAME'
  | 'STORE_INVALID_SPEC'
  | 'STORE_INVALID_INSTANCE'
  | 'STORE_INVALID_URL'
  | 'STORE_INVALID_SCHEMA'
  | 'STORE_MIGRATION_FAILED';

/** An error caused by how the store was configured or called; `code` is stable. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
