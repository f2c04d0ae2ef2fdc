// Limits of the files endpoints.

/**
 * Hard cap multer enforces while streaming the upload (decorator options are fixed at class
 * definition); the configured, usually smaller, limit is checked by FilesService.
 */
export const MAX_UPLOAD_BYTES_CAP = 512 * 1024 * 1024;

/** Purposes whose files are indexed for retrieval. */
export const FILE_PURPOSES = ['assistants', 'user_data'] as const;
