/** Cursor paging shared by admin listings. */
export * from './page-cursor.js';
export * from './page-query.dto.js';
