/**
 * Reads what n8n stored of the latest execution (its SQLite database, the run data n8n serialises with `flatted`)
 * and keeps only the figures the benchmark needs: per node, each run's start, time and items per output. It runs
 * in a process of its own, with the install's Node, sqlite3 and flatted: a per-record run is 100+ MB of run data,
 * which this process then never holds.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';

import { flattedPath } from '../../test/harness/n8n/install';
import type { N8nInstance } from '../../test/harness/n8n/instance';

export interface NodeRun {
	startTime: number;
	/** Milliseconds, as n8n measured the node's run. */
	executionTime: number;
	/** Items per output (`main[0]`, `main[1]`, ...). */
	items: number[];
	error?: string;
}

export interface ExecutionFigures {
	id: string;
	status: string;
	/** Per node name, one entry per time the node ran. */
	nodes: Record<string, NodeRun[]>;
	/** Length of the run data n8n stored (execution_data.data), in bytes. */
	storedBytes: number;
	/** The first item of a node's first output, for checks (`firstItems[node]`). */
	firstItems: Record<string, unknown>;
}

const SCRIPT = `
const [databasePath, sqlite3Path, flattedPath, remove] = process.argv.slice(1);
const sqlite3 = require(sqlite3Path);
const flatted = require(flattedPath);
const db = new sqlite3.Database(databasePath);
const latest = 'SELECT e.id, e.status, d.data FROM execution_entity e JOIN execution_data d ON d."executionId" = e.id ' +
  "WHERE e.status IN ('success', 'error', 'crashed', 'canceled') ORDER BY e.id DESC LIMIT 1";
db.get(latest, (error, row) => {
  if (error) { console.error(error.message); process.exit(1); }
  const finish = (figures) => {
    process.stdout.write(JSON.stringify(figures));
    if (remove !== 'remove') return db.close();
    db.exec('DELETE FROM execution_data; DELETE FROM execution_entity;', (e) => { if (e) console.error(e.message); db.close(); });
  };
  if (!row) return finish(null);
  const data = String(row.data);
  const runData = flatted.parse(data).resultData.runData;
  const nodes = {};
  const firstItems = {};
  for (const [name, runs] of Object.entries(runData)) {
    nodes[name] = runs.map((run) => ({
      startTime: run.startTime,
      executionTime: run.executionTime,
      items: ((run.data && run.data.main) || []).map((output) => (output ? output.length : 0)),
      error: run.error ? run.error.message : undefined,
    }));
    const first = runs[0] && runs[0].data && runs[0].data.main && runs[0].data.main.find((o) => o && o.length);
    if (first) firstItems[name] = first[0].json;
  }
  finish({ id: String(row.id), status: row.status, nodes, storedBytes: Buffer.byteLength(data), firstItems });
});
`;

/** The latest finished execution's figures, or null while none has finished. `remove` then deletes them all. */
export async function latestExecution(
	instance: N8nInstance,
	options: { remove?: boolean } = {},
): Promise<ExecutionFigures | null> {
	const { install } = instance;
	const { stdout } = await promisify(execFile)(
		install.nodeBin,
		[
			'-e',
			SCRIPT,
			path.join(instance.userFolder, '.n8n', 'database.sqlite'),
			path.join(install.dir, 'node_modules', 'sqlite3'),
			flattedPath(install),
			options.remove ? 'remove' : 'keep',
		],
		{ maxBuffer: 64 * 1024 * 1024 },
	);
	return JSON.parse(stdout) as ExecutionFigures | null;
}
