/**
 * Backup and restore (spec §7) of the databases of the data directory, in the Rust CLI's archive
 * format: naming and rotation (naming.ts), what an archive may contain (archiveRules.ts), reading an
 * archive within limits (archiveReader.ts), making one (create.ts), restoring one (restore.ts), and
 * cleaning up after killed runs (leftovers.ts). The file backend is their caller in the core.
 */
export { type ArchiveContents, DEFAULT_RESTORE_LIMITS, type RestoreLimits } from './archiveRules';
export { inspectBackup } from './archiveReader';
export { createBackup } from './create';
export { removeAbandonedStaging } from './leftovers';
export { type BackupInfo, type BackupKind, DEFAULT_BACKUP_DIR_SEGMENTS, defaultBackupDirectory, listBackups, rotateBackups } from './naming';
export { restoreBackup, unpackBackup } from './restore';
export { writeArchive } from './create';
export { archiveName, safetyCopyName } from './naming';
