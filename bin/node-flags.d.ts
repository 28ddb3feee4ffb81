export declare const LONG_RUNNING_FLAGS: readonly string[];
export declare const LONG_RUNNING_COMMANDS: ReadonlySet<string>;
export declare function hasLongRunningFlags(execArgv: readonly string[]): boolean;
