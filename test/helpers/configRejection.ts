import { ConfigError } from '../../pipelines/errors.js';

/** The ConfigError `fn` throws; fails the test when it throws nothing or something else. */
export function configRejection(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
