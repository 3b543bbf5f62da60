import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import { createTheme, MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';

// The page's Content-Security-Policy admits style elements carrying this nonce only; Mantine
// puts it on the ones it creates.
const nonce = document.querySelector('meta[name="csp-nonce"]')?.getAttribute('content') ?? '';

const theme = createTheme({ primaryColor: 'indigo', defaultRadius: 'md' });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} getStyleNonce={() => nonce}>
      <App />
    </MantineProvider>
  </StrictMode>,
);
