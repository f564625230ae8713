/**
 * Run-time descriptors of the alert schema, decoded once from the FileDescriptorSet that
 * `buf generate` embeds in gen/. Internal: the JSON mapping and the strict decoder walk them.
 */
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import type { DescMessage, FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { base64Decode } from '@bufbuild/protobuf/wire';
import { fileDescriptorSetBase64 } from './gen/file-descriptor-set.js';

/** Fully qualified names of the messages this package maps. */
export type SchemaTypeName =
  | 'enlace.alert.v1.Alert'
  | 'enlace.alert.v1.AlertBody'
  | 'enlace.alert.v1.SignedAlert'
  | 'enlace.rfi.v1.Request'
  | 'enlace.rfi.v1.RequestBody'
  | 'enlace.rfi.v1.SignedRequest';

let registry: FileRegistry | undefined;

/** The descriptor of a message of the alert schema. */
export function messageDesc(typeName: SchemaTypeName): DescMessage {
  registry ??= createFileRegistry(fromBinary(FileDescriptorSetSchema, base64Decode(fileDescriptorSetBase64)));
  const desc = registry.getMessage(typeName);
  if (desc === undefined) {
    // Only reachable if gen/ is stale or hand-edited: a build problem, not bad input.
    throw new Error(`descriptor of ${typeName} missing from gen/file-descriptor-set.ts`);
  }
  return desc;
}
