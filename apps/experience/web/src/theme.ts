// Owns the colour theme: light, dark, or the system's, kept in localStorage and applied as
// data-theme on <html> (styles.css maps it to colours; "system" follows prefers-color-scheme).
export type Theme = 'system' | 'light' | 'dark';

const STORAGE_KEY = 'hearth.theme';

export function savedTheme(): Theme {
  const value = localStorage.getItem(STORAGE_KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

export function applyTheme(theme: Theme): void {
  if (theme === 'system') {
    delete document.documentElement.dataset['theme'];
    localStorage.removeItem(STORAGE_KEY);
  } else {
    document.documentElement.dataset['theme'] = theme;
    localStorage.setItem(STORAGE_KEY, theme);
  }
}
