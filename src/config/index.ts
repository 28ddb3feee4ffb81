export type { BlobsConfig, Config, ConfigSource, DatabaseConfig, LogLevel } from './types.ts';
export { configFileFromArgv, DEFAULT_LOCAL_MIN_INLIERS, loadConfig, type LoadConfigOptions } from './load.ts';
export { describeConfig, maskUrl, redactConfig } from './describe.ts';
export { FIELDS, LOG_LEVELS, type FieldSpec } from './fields.ts';
