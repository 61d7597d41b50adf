import Database from 'better-sqlite3';

/** Alerts in an outbox file right now, read by a second connection (what survived a SIGKILL, what moved in on recovery). */
export function outboxRows(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
