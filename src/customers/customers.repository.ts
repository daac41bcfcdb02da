import { Injectable } from '@nestjs/common';
import { Brackets, EntityManager, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { DatabaseService } from '../database/database.service';
import { Customer } from './customer.entity';

export interface CustomerSearch {
  /** Field → substring, each matched case-insensitively, all ANDed. */
  filters: Record<string, string>;
  /** Each entry must match (substring) at least one of its fields: Stax keywords[], v0 name. */
  anyOf: { fields: string[]; text: string }[];
  /** Field → exact value. */
  equals: Record<string, string>;
  sort: string;
  order: 'ASC' | 'DESC';
  trashed: 'without' | 'with' | 'only';
  skip: number;
  take: number;
}

/** LIKE with '!' as the escape character: the same on MySQL and SQLite, so % and _ are plain text. */
function likePattern(text: string): string {
  return '%' + text.toLowerCase().replace(/[!%_]/g, (ch) => '!' + ch) + '%';
}

/**
 * All SQL about customers. Every query is scoped by merchant_id first. Field names in searches
 * come from the DTOs' whitelists, never from raw client input.
 */
@Injectable()
export class CustomersRepository {
  constructor(private readonly db: DatabaseService) {}

  /** Reads a customer and, on MySQL, locks its row until the transaction ends. */
  findForUpdate(em: EntityManager, merchantId: string, id: string): Promise<Customer | null> {
    const qb = em
      .createQueryBuilder(Customer, 'c')
      .where('c.merchant_id = :merchantId AND c.id = :id', { merchantId, id });
    const lock = this.db.rowLock;
    if (lock) qb.setLock(lock.mode);
    return qb.getOne();
  }

  findOne(merchantId: string, id: string): Promise<Customer | null> {
    return this.db.read((em) => em.findOne(Customer, { where: { merchant_id: merchantId, id } }));
  }

  async exists(merchantId: string, id: string): Promise<boolean> {
    return (await this.db.read((em) => em.count(Customer, { where: { merchant_id: merchantId, id } }))) > 0;
  }

  async insert(em: EntityManager, customer: Customer): Promise<void> {
    await em.insert(Customer, customer as QueryDeepPartialEntity<Customer>);
  }

  async update(em: EntityManager, merchantId: string, id: string, values: Partial<Customer>): Promise<void> {
    await em.update(Customer, { merchant_id: merchantId, id }, values as QueryDeepPartialEntity<Customer>);
  }

  async search(merchantId: string, s: CustomerSearch): Promise<{ rows: Customer[]; total: number }> {
    return this.db.read(async (em) => {
      const qb = em.createQueryBuilder(Customer, 'c').where('c.merchant_id = :merchantId', { merchantId });
      if (s.trashed === 'without') qb.andWhere('c.deleted_at IS NULL');
      if (s.trashed === 'only') qb.andWhere('c.deleted_at IS NOT NULL');
      this.applyFilters(qb, s);
      const [rows, total] = await qb
        .orderBy(`c.${s.sort}`, s.order)
        .addOrderBy('c.id', s.order)
        .skip(s.skip)
        .take(s.take)
        .getManyAndCount();
      return { rows, total };
    });
  }

  private applyFilters(qb: SelectQueryBuilder<Customer>, s: CustomerSearch): void {
    let n = 0;
    for (const [field, text] of Object.entries(s.filters)) {
      const p = `p${n++}`;
      qb.andWhere(`LOWER(c.${field}) LIKE :${p} ESCAPE '!'`, { [p]: likePattern(text) });
    }
    for (const { fields, text } of s.anyOf) {
      const p = `p${n++}`;
      qb.andWhere(
        new Brackets((or) => {
          for (const field of fields) or.orWhere(`LOWER(c.${field}) LIKE :${p} ESCAPE '!'`);
        }),
        { [p]: likePattern(text) },
      );
    }
    for (const [field, value] of Object.entries(s.equals)) {
      const p = `p${n++}`;
      qb.andWhere(`c.${field} = :${p}`, { [p]: value });
    }
  }
}
