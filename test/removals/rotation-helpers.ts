// Re-exports for the rotation spec, and a log-entry decoder that answers undefined for what it cannot read.
import { decodeKeyEvent, type KeyEvent } from '#tlog';
export {
  admitExternalRemoveProposal,
  admitExternalSendersSwap,
  checkExternalRemoveProposal,
  externalSendersOf,
  withNamedExternalSenders,
} from '#mls';

export function decodeKeyEventSafe(entry: Uint8Array): KeyEvent | undefined {
  try {
    return decodeKeyEvent(new Uint8Array(entry));
  } catch {
    return undefined;
  }
}
