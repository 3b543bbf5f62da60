import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import { createTheme, MantineProvider, type CSSVariablesResolver } from '@mantine/core';
import { setNonce } from 'get-nonce';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';

// The page's Content-Security-Policy admits style elements carrying this nonce only; Mantine
// puts it on the ones it creates.
const nonce = document.querySelector('meta[name="csp-nonce"]')?.getAttribute('content') ?? '';
// The modal's scroll lock (react-remove-scroll) creates its style element with get-nonce's nonce.
setNonce(nonce);

// Shades chosen for WCAG 2 AA contrast on white (4.5:1 for text): the library's default dimmed
// grey and primary shade fall short of it.
const theme = createTheme({ primaryColor: 'indigo', primaryShade: { light: 8, dark: 4 }, defaultRadius: 'md' });
const contrast: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={contrast} getStyleNonce={() => nonce}>
      <App />
    </MantineProvider>
  </StrictMode>,
);
