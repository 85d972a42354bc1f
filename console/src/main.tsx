import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Router } from 'wouter';
import { App } from './app';
import './styles.css';
import './widgets.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Router base="/console">
      <App />
    </Router>
  </StrictMode>,
);
