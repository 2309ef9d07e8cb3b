import { CompiledQuery, type RawBuilder } from 'kysely';
import type { Tx } from './schema.js';

/*
 * Statements that every ticket write runs (its events and their webhook deliveries), compiled
 * once per store dialect and shape, then run with new parameters. Building and compiling a
 * Kysely query costs more CPU than SQLite takes to run a small insert (36 µs against 16 µs for
 * the deliveries' insert, docs/decisions/017-webhooks.md, "Cost on the write path").
 */

const textsByAdapter = new WeakMap<object, Map<string, string>>();

/**
 * Runs the statement `build` makes, with `parameters`. `shape` names everything in the SQL text
 * besides the parameters (e.g. how many rows a VALUES list has): statements of one shape share
 * one text. `build` must interpolate exactly `parameters`, in order; that is checked when the
 * shape is first compiled.
 */
export async function executeCompiledOnce(db: Tx, shape: string, parameters: readonly unknown[], build: () => RawBuilder<unknown>): Promise<void> {
  await queryCompiledOnce(db, shape, parameters, build);
}

/** As executeCompiledOnce, answering the statement's rows. */
export async function queryCompiledOnce<R>(db: Tx, shape: string, parameters: readonly unknown[], build: () => RawBuilder<unknown>): Promise<R[]> {
  const adapter = db.getExecutor().adapter;
  let texts = textsByAdapter.get(adapter);
  if (!texts) textsByAdapter.set(adapter, (texts = new Map()));
  let text = texts.get(shape);
  if (text === undefined) {
    const compiled = build().compile(db);
    const same = compiled.parameters.length === parameters.length && compiled.parameters.every((p, i) => p === parameters[i]);
    if (!same) throw new Error(`executeCompiledOnce(${shape}): the statement does not take its parameters in the order given`);
    text = compiled.sql;
    texts.set(shape, text);
  }
  return (await db.executeQuery<R>(CompiledQuery.raw(text, [...parameters]))).rows;
}
