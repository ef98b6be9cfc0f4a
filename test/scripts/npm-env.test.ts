import { describe, expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { nestedEnv } from '../../scripts/npm-env.mjs';

const env = nestedEnv as (env: Record<string, string>) => Record<string, string>;

describe("prepare.mjs's nested npm install", () => {
  test("keeps the user's npm settings, given as flags or environment", () => {
    const user = {
      npm_config_nodedir: '/opt/node-headers',
      npm_config_registry: 'https://registry.example/',
      npm_config_proxy: 'http://proxy:3128',
      npm_config_https_proxy: 'http://proxy:3128',
      npm_config_cafile: '/etc/ssl/corp.pem',
      npm_config_strict_ssl: 'false',
      npm_config_userconfig: '/home/me/.npmrc',
      npm_config_cache: '/home/me/.npm',
      NPM_CONFIG_REGISTRY: 'https://upper.example/',
      PATH: '/usr/bin',
      HOME: '/home/me',
    };
    expect(env(user)).toEqual(user);
  });

  test('drops what makes the outer command a global install, and the outer package facts', () => {
    const outer = {
      npm_config_global: 'true',
      npm_config_location: 'global',
      npm_config_prefix: '/usr/local',
      npm_config_allow_scripts: 'gritty',
      npm_config_omit: 'dev',
      npm_config_save: 'true',
      npm_package_name: 'gritty',
      npm_lifecycle_event: 'prepare',
      npm_lifecycle_script: 'node scripts/prepare.mjs',
    };
    expect(env({ ...outer, npm_config_nodedir: '/x' })).toEqual({ npm_config_nodedir: '/x' });
  });
});
