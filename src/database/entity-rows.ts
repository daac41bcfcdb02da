import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { EntityMetadata } from 'typeorm/metadata/EntityMetadata';

/**
 * Plain SQL for the statements every write runs (read one customer, update it, insert its audit
 * entries), with TypeORM's own per-column conversions, so values go in and rows come out exactly
 * as TypeORM's query builders would send and hydrate them — without building and parsing the
 * query anew on every request, which was a large share of each request's CPU time (see
 * bench/README.md). The SQL reads the same on MySQL and SQLite: `?` placeholders, identifiers
 * quoted by the driver. Used by the repositories only.
 */
export class EntityRows<T extends ObjectLiteral> {
  private readonly metadata: EntityMetadata;
  private readonly byProperty: Map<string, ColumnMetadata>;
  /** The quoted table name. */
  readonly table: string;
  /** Every column, quoted, in entity order: `SELECT ${selectList} FROM …`. */
  readonly selectList: string;
  /** Every column's property name, in entity order. */
  readonly properties: string[];

  constructor(
    private readonly dataSource: DataSource,
    target: EntityTarget<T>,
  ) {
    this.metadata = dataSource.getMetadata(target);
    this.byProperty = new Map(this.metadata.columns.map((c) => [c.propertyName, c]));
    this.table = dataSource.driver.escape(this.metadata.tableName);
    this.properties = this.metadata.columns.map((c) => c.propertyName);
    this.selectList = this.metadata.columns.map((c) => dataSource.driver.escape(c.databaseName)).join(', ');
  }

  /** The quoted column name of a property. */
  column(property: string): string {
    return this.dataSource.driver.escape(this.columnOf(property).databaseName);
  }

  /** A raw row (all columns selected) as TypeORM hydrates it into an entity. */
  hydrate(row: Record<string, unknown>): T {
    const entity = this.metadata.create() as Record<string, unknown>;
    for (const c of this.metadata.columns) {
      entity[c.propertyName] = this.dataSource.driver.prepareHydratedValue(row[c.databaseName], c);
    }
    return entity as T;
  }

  /** `a = ?, b = ?` and its parameters, for the given properties' new values. */
  assignments(values: Partial<T>): { sql: string; params: unknown[] } {
    const keys = Object.keys(values).filter((k) => values[k] !== undefined);
    return {
      sql: keys.map((k) => `${this.column(k)} = ?`).join(', '),
      params: keys.map((k) => this.value(k, values[k])),
    };
  }

  /** The given properties' values as the driver takes them, in the object's key order. */
  values(values: Partial<T>): unknown[] {
    return Object.keys(values).map((k) => this.value(k, values[k]));
  }

  /** One multi-row INSERT of the given properties (the same for every row). */
  insert(properties: readonly string[], rows: Partial<T>[]): { sql: string; params: unknown[] } {
    const one = `(${properties.map(() => '?').join(', ')})`;
    return {
      sql: `INSERT INTO ${this.table} (${properties.map((p) => this.column(p)).join(', ')}) VALUES ${rows.map(() => one).join(', ')}`,
      params: rows.flatMap((r) => properties.map((p) => this.value(p, r[p]))),
    };
  }

  /** A property's value as TypeORM sends it to the driver (dates, JSON, booleans, transformers). */
  private value(property: string, v: unknown): unknown {
    const out: unknown = this.dataSource.driver.preparePersistentValue(v, this.columnOf(property));
    return out === undefined ? null : out;
  }

  private columnOf(property: string): ColumnMetadata {
    const c = this.byProperty.get(property);
    if (!c) throw new Error(`${this.metadata.name} has no column ${property}`);
    return c;
  }
}
