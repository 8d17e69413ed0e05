import { createContext, useContext } from 'react';
import type { AdminApi } from './api.js';

const TOKEN_KEY = 'mcpgw.adminToken';
const DATA_URL_KEY = 'mcpgw.dataPlaneUrl';

export function loadToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** The data plane's base URL: the console cannot know it, so guess the page's host on port 8080 until edited. */
export function loadDataPlaneUrl(): string {
  const saved = localStorage.getItem(DATA_URL_KEY);
  if (saved) return saved;
  const host = window.location.hostname.includes(':') ? `[${window.location.hostname}]` : window.location.hostname;
  return `${window.location.protocol}//${host || '127.0.0.1'}:8080`;
}

export function saveDataPlaneUrl(url: string): void {
  localStorage.setItem(DATA_URL_KEY, url.replace(/\/+$/, ''));
}

export interface Session {
  api: AdminApi;
  signOut: () => void;
  dataPlaneUrl: string;
  setDataPlaneUrl: (url: string) => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
