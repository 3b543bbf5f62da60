// RFC 9420 §11 group creation with an external_senders extension in RFC list form.
// ts-mls 1.6.4 `createGroup` decodes each external_senders extension as a single
// ExternalSender and refuses the RFC list. At epoch 0 the epoch secret is random (§11), so the
// initial GroupContext's extensions feed nothing but the creator's first Commit; creating the
// group without the extension and setting the GroupContext extensions right after is therefore
// the same group as a conforming createGroup would make. The credential check ts-mls would
// have run on each external sender is run here on the decoded list instead.
import {
  createGroup,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type Extension,
  type KeyPackage,
  type PrivateKeyPackage,
} from 'ts-mls';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { MlsInvalidArgumentError } from './errors.js';
import { decodeExternalSenders, EXTERNAL_SENDERS_EXTENSION_TYPE } from './external-senders.js';

function isExternalSenders(e: Extension): boolean {
  return e.extensionType === 'external_senders' || e.extensionType === EXTERNAL_SENDERS_EXTENSION_TYPE;
}

/** ts-mls createGroup, accepting `extensions` with external_senders in RFC 9420 list form. */
export async function createGroupWithExternalSenders(
  groupId: Uint8Array,
  keyPackage: KeyPackage,
  privateKeyPackage: PrivateKeyPackage,
  extensions: Extension[],
  cs: CiphersuiteImpl,
  clientConfig: ClientConfig = defaultClientConfig,
): Promise<ClientState> {
  const listed = extensions.filter(isExternalSenders);
  if (listed.length > 1) throw new MlsInvalidArgumentError('external_senders may appear only once (§13.4)');
  for (const ext of listed) {
    for (const sender of decodeExternalSenders(ext.extensionData)) {
      if (!(await clientConfig.authService.validateCredential(sender.credential, sender.signaturePublicKey))) {
        throw new MlsInvalidArgumentError('an external sender credential was refused by the authentication service');
      }
    }
  }
  const state = await createGroup(
    groupId,
    keyPackage,
    privateKeyPackage,
    extensions.filter((e) => !isExternalSenders(e)),
    cs,
    clientConfig,
  );
  // decoders elsewhere in ts-mls and in the glue look the extension up by its name
  const normalized = extensions.map((e) => (isExternalSenders(e) ? { ...e, extensionType: 'external_senders' as const } : e));
  return { ...state, groupContext: { ...state.groupContext, extensions: normalized } };
}
