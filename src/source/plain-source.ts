/** The unprotected source: one GET per view. The protective client wraps the same `getToFile`. */
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { getToFile } from './http-get.js';
import type { ViewSource } from './view-source.js';

export function viewUrl(baseUrl: string, guid: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set('id', guid);
  return url.toString();
}

export function requirePassword(config: Pick<Config, 'password'>): string {
  if (config.password) return config.password;
  throw new ConfigError('OTC_PASSWORD is not set: put the OTC service account password in the environment or in .env.');
}

export function createPlainSource(config: Config): ViewSource {
  const password = requirePassword(config);
  return {
    fetchView: (view, options = {}) =>
      getToFile({
        url: viewUrl(config.baseUrl, config.viewGuids[view]),
        username: config.username,
        password,
        view,
        timeoutMs: config.source.timeoutMs,
        maxBodyBytes: config.maxBodyBytes,
        ...options,
      }),
  };
}
