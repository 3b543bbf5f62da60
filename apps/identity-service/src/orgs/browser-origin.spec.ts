import { isBrowserOrigin } from './browser-origin.js';

describe('allowed browser origins', () => {
  it('takes exact https origins, and http on loopback for development', () => {
    for (const origin of [
      'https://chat.example.com',
      'https://chat.example.com:8443',
      'http://localhost:3000',
      'http://127.0.0.1:5173',
      'http://[::1]:8080',
    ]) {
      expect(isBrowserOrigin(origin)).toBe(true);
    }
  });

  it('refuses anything a browser would not send as an Origin, wildcards, and plain http elsewhere', () => {
    for (const origin of [
      'http://chat.example.com',
      'https://chat.example.com/',
      'https://chat.example.com/app',
      'https://Chat.example.com',
      'https://chat.example.com:443',
      'https://*.example.com',
      '*',
      'null',
      'https://user@chat.example.com',
      'chat.example.com',
      'file:///tmp/app.html',
      42,
    ]) {
      expect(isBrowserOrigin(origin)).toBe(false);
    }
  });
});
