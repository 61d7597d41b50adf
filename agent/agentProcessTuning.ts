/**
 * How the agent's own Node.js process is started in production: the node flags and environment
 * that the systemd unit (config/systemd/c5-agent.service) and the container image
 * (Dockerfile.arm64) set, and that `npm run bench` gives the agent it measures. Tests check that
 * all three carry exactly these. Measured in docs/PERFORMANCE.md ("The agent's own process").
 */

/**
 * `--max-semi-space-size=4` (MB): V8's young generation at most 4 MB a half instead of the 16 MB
 * Node picks on a machine with a few GB of memory. The agent keeps a small old generation (about
 * 30 MB at 17 cameras) and V8 starts a full mark-compact whenever the room left below the old
 * generation's limit is smaller than the young generation. With 16 MB that held for most runs,
 * and the main thread ran a full collection every 200-500 ms: 40-80 in 20 s, with four helper
 * threads marking, about a tenth of a 2-core box. With 4 MB: 1-14 in 20 s, for about 130 cheap
 * scavenges.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * `MALLOC_ARENA_MAX=2`: glibc gives each thread that allocates its own malloc arena (up to 8 per
 * core), and the agent has two inference threads, V8's helpers and libuv's pool. Two arenas took
 * the agent's peak resident memory at 17 SD cameras from 393-403 MB to 343-375 MB, with no
 * measurable cost in frames.
 */
export const AGENT_PROCESS_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
