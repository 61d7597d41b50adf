import { InvalidArgumentError } from 'commander';

/** Option-argument parsers for commander: a bad value is a usage error that names the rule. */

export function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!(value.trim() !== '' && Number.isFinite(seconds) && seconds > 0))
    throw new InvalidArgumentError('expected a positive number of seconds, such as 12 or 2.5');
  return seconds;
}

export function nonNegativeSeconds(value: string): number {
  const seconds = Number(value);
  if (!(value.trim() !== '' && Number.isFinite(seconds) && seconds >= 0))
    throw new InvalidArgumentError('expected a number of seconds, 0 or more, such as 12 or 2.5');
  return seconds;
}

/** a TCP port; 0 picks a free one */
export function port(value: string): number {
  const n = Number(value);
  if (!(/^\d{1,5}$/.test(value) && n <= 65_535)) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}

/** a comma-separated list of names, such as `cameras,brokers`; the command checks the names */
export function checkList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => !/^[a-z0-9-]{1,32}$/.test(name))) throw new InvalidArgumentError('expected names separated by commas, such as cameras,brokers');
  return names;
}

/** an integer from 1, such as a config version */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!(/^\d{1,15}$/.test(value) && n >= 1)) throw new InvalidArgumentError('expected an integer from 1, such as 12');
  return n;
}

/** CPU cores, whole or a share (a container's CPU quota, such as 1.5) */
export function cpuCores(value: string): number {
  const cores = Number(value);
  if (!(value.trim() !== '' && Number.isFinite(cores) && cores > 0 && cores <= 4096))
    throw new InvalidArgumentError('expected a number of cores above 0, such as 4 or 1.5');
  return cores;
}
