// libs/x509-profile and libs/tlog use Node's Buffer for byte comparison, hex and base64; the
// browser bundle gets the `buffer` package's implementation under the same name.
export { Buffer } from 'buffer';
