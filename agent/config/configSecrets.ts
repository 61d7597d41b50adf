import type { SiteConfig } from '../../pipelines/config/siteConfig.js';
import { secretsInUrl } from '../observe/redactUrl.js';

export interface NamedSecret {
  /** the config field it came from, for the warning about a secret too short to scrub */
  readonly name: string;
  readonly value: string;
}

/**
 * The values of a resolved config that must never leave the agent: the MQTT and metrics
 * passwords and bearer token, and every broker and camera URL's password and secret parameters (however the
 * URL was given: literal, env: or file:). User names are identities, not secrets: they are
 * redacted where a URL shows them, but not scrubbed from all text (an MQTT user named like the
 * site would otherwise erase the site id from every message).
 */
export function configSecrets(config: SiteConfig): NamedSecret[] {
  const secrets: NamedSecret[] = [];
  const add = (name: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') secrets.push({ name, value });
  };
  add('mqtt.password', config.mqtt.password);
  config.mqtt.urls.forEach((url, i) => {
    for (const value of secretsInUrl(url)) add(`mqtt.urls[${i}]`, value);
  });
  add('metrics.auth.bearerToken', config.metrics.auth?.bearerToken);
  add('metrics.auth.password', config.metrics.auth?.password);
  config.cameras.forEach((camera, i) => {
    for (const value of secretsInUrl(camera.source.url)) add(`cameras[${i}].source.url`, value);
  });
  return secrets;
}
