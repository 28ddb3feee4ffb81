/** The one node-postgres internal a pipelined batch needs: how pg turns JS values into wire parameters. */
declare module 'pg/lib/utils.js' {
  export function prepareValue(value: unknown): unknown;
}
