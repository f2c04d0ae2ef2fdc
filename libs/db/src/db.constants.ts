// Injection tokens of @hearth/db.

/** Provider token for {@link DbModuleOptions}. */
export const DB_OPTIONS = Symbol('hearth:db-options');
