// GENERATED from schema/ by `make gen` (json-schema-to-typescript) - do not edit.

/**
 * spine-ws protocol 1.0.0, bundled from schema/.
 */
export type SpineProtocol = never;
