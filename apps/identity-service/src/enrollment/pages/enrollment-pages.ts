import { esc, page } from './html.js';

/** What the confirmation page says about the device that asked to be enrolled. */
export interface DeviceRequest {
  deviceName: string;
  platform: string;
  requestedFrom: string | null;
  requestedAt: Date;
  expiresAt: Date;
}

function deviceFacts(d: DeviceRequest, viewerIp: string | undefined): string {
  const from = d.requestedFrom ?? 'unknown';
  const here = viewerIp && viewerIp !== d.requestedFrom ? ` <small>(this browser is at ${esc(viewerIp)})</small>` : '';
  return `<dl>
<dt>Device name</dt><dd>${esc(d.deviceName)}</dd>
<dt>Platform</dt><dd>${esc(d.platform)}</dd>
<dt>Requested from</dt><dd>${esc(from)}${here}</dd>
<dt>Requested at</dt><dd>${esc(d.requestedAt.toISOString())}</dd>
<dt>Expires at</dt><dd>${esc(d.expiresAt.toISOString())}</dd>
</dl>`;
}

const WARNING = `<p class="warn">Continue only if you hold this device and it shows the code yourself.
If someone sent you a link or a code, stop here: enrolling would give them a certificate in your name.</p>`;

function errorBox(reason: string | undefined, message: string | undefined): string {
  return reason ? `<p class="error" data-reason="${esc(reason)}">${esc(message ?? reason)}</p>` : '';
}

/**
 * After the IdP sign-in, before the code exchange: the person sees which device asked and
 * confirms it with the code that device shows (or, in a browser that typed the code on the
 * activation page, with a button).
 */
export function confirmationPage(p: {
  device: DeviceRequest;
  viewerIp: string | undefined;
  action: string;
  hidden: Record<string, string>;
  codeAlreadyEntered: boolean;
  error?: { reason: string; message: string };
}): string {
  const hidden = Object.entries(p.hidden)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n');
  const ask = p.codeAlreadyEntered
    ? `<p>You entered this device's code in this browser. Enroll it for your account?</p>`
    : `<p><label for="confirmation">Enter the code shown on the enrolling device:</label><br>
<input type="text" id="confirmation" name="confirmation" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="16" required placeholder="XXXX-XXXX"></p>`;
  return page(
    'Enroll this device?',
    `<p>A device asked to be enrolled for the account you just signed in with. It gets a certificate that lets it send and read messages as you.</p>
${deviceFacts(p.device, p.viewerIp)}
${WARNING}
${errorBox(p.error?.reason, p.error?.message)}
<form method="post" action="${esc(p.action)}">
${hidden}
${ask}
<button type="submit" name="decision" value="enroll">Enroll this device</button>
</form>`,
  );
}

export function enrolledPage(device: { deviceName: string }): string {
  return page(
    'Device enrolled',
    `<p data-status="completed">The device <strong>${esc(device.deviceName)}</strong> is enrolled. You can close this window and return to it.</p>`,
  );
}

/** Where the device flow sends the person: they type the code the device shows. */
export function activationPage(p: { action: string; error?: { reason: string; message: string } }): string {
  return page(
    'Enroll a device',
    `<p>Enter the code shown on the device you are enrolling. You will then sign in with your organization's account.</p>
${WARNING}
${errorBox(p.error?.reason, p.error?.message)}
<form method="post" action="${esc(p.action)}">
<p><label for="code">Code:</label><br>
<input type="text" id="code" name="code" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="16" required placeholder="XXXX-XXXX"></p>
<button type="submit">Continue</button>
</form>`,
  );
}

/** The code was found: which device it is, and the way on to the IdP (a link: form-action stays 'self'). */
export function activatedPage(p: { device: DeviceRequest; viewerIp: string | undefined; signInUrl: string }): string {
  return page(
    'Sign in to enroll this device',
    `${deviceFacts(p.device, p.viewerIp)}
${WARNING}
<p><a id="sign-in" href="${esc(p.signInUrl)}">Sign in to enroll this device</a></p>`,
  );
}

/** A refusal shown to a person in a browser: the same stable reason the API would give. */
export function refusalPage(reason: string, message: string): string {
  return page('Enrollment refused', `${errorBox(reason, message)}<p>Start the enrollment again on the device if you still want to enroll it.</p>`);
}
