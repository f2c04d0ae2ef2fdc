// Owns the signed-in key: kept in sessionStorage only (gone when the tab closes, never in
// localStorage or a cookie), read back after a reload of the same tab.
const STORAGE_KEY = 'hearth.apiKey';

export function loadKey(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function saveKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function clearKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
