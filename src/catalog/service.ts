import { sql, type Kysely } from 'kysely';
import {
  appendAudit,
  Conflict,
  decodeCursor,
  Forbidden,
  holdsRoleInTeam,
  InvalidInput,
  isUniqueViolation,
  newId,
  NotFound,
  pageSize,
  requireRoleInTeam,
  teamIdsOf,
  toPage,
  type Page,
  type PlatformTables,
  type Principal,
  type Store,
} from '../platform/index.js';
import type { RecordingsTables } from '../recordings/index.js';
import {
  contractTerms,
  parseYaml,
  productToOdcsYaml,
  type ContractTerms,
  type ContractValidator,
} from './contract.js';
import {
  parseClassification,
  parseName,
  parsePersonalData,
  parseResidency,
  parseRule,
  parseSlos,
  type Classification,
  type PersonalDataCategory,
  type ProductRule,
  type ProductSlos,
} from './model.js';
import { parseQuery, type QueryNode } from './query/index.js';
import type { CatalogTables, DataProductsTable } from './tables.js';

type Db = Kysely<PlatformTables & RecordingsTables & CatalogTables>;

export interface Domain {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly ownerTeamId: string;
  readonly ownerTeamName: string;
  readonly productCount: number;
  readonly createdAt: string;
}

/** How the caller relates to a product: reads it as owner or by grant, or only sees that it exists. */
export type ProductAccess = 'owner' | 'granted' | 'none';

export interface QualityFailure {
  readonly check: string;
  /** Recordings failing the check (0 for checks of the product as a whole). */
  readonly recordings: number;
  readonly example: string | null;
  readonly detail: string;
}

export interface DataProduct {
  readonly id: string;
  readonly name: string;
  readonly domainId: string;
  readonly domainName: string;
  readonly ownerTeamId: string;
  readonly ownerTeamName: string;
  readonly description: string;
  readonly classification: Classification;
  readonly personalData: PersonalDataCategory[];
  readonly residency: string;
  readonly rule: ProductRule;
  readonly slos: ProductSlos;
  readonly quality: {
    readonly status: 'passing' | 'failing' | 'unknown';
    readonly failures: QualityFailure[];
    readonly checkedAt: string | null;
  };
  readonly grants: { readonly teamId: string; readonly teamName: string }[];
  readonly recordingCount: number;
  readonly access: ProductAccess;
  readonly contractVersion: string;
  readonly hasContract: boolean;
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ProductInput {
  readonly name?: unknown;
  readonly domain?: unknown;
  readonly ownerTeam?: unknown;
  readonly description?: unknown;
  readonly classification?: unknown;
  readonly personalData?: unknown;
  readonly residency?: unknown;
  readonly rule?: unknown;
  readonly slos?: unknown;
}

/** One contract check of one recording (or of the product, when `recordingId` is empty). */
export interface CheckResult {
  readonly recordingId: string;
  readonly check: string;
  readonly passed: boolean;
  readonly detail: string;
  readonly checkedAt: string;
}

/**
 * Which segments a caller may read: everything (platform admins), or those of its teams'
 * recordings plus those served by products granted to its teams (narrowed by each product's
 * segment query).
 */
export type ReadScope =
  | { readonly all: true }
  | {
      readonly all: false;
      readonly teamIds: string[];
      readonly products: { readonly id: string; readonly query: QueryNode | null }[];
    };

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Statuses of recordings a product can serve: catalogued, or fully analysed. */
const servableStatuses = ['catalogued', 'ready'];

function globToLike(pattern: string): string {
  return pattern
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replaceAll('*', '%')
    .replaceAll('?', '_');
}

/** Domains, data products, their grants, contracts and contract checks. */
export class CatalogService {
  constructor(
    private readonly store: Store,
    /** Validator of the ODCS schema, when the official schema is available (see `standardSchemas`). */
    private readonly contracts: ContractValidator | undefined,
  ) {}

  private get db(): Db {
    return this.store.db.withTables<RecordingsTables & CatalogTables>();
  }

  private audit(
    trx: Kysely<PlatformTables>,
    actor: Principal,
    action: string,
    targetKind: string,
    targetId: string,
    before: unknown,
    after: unknown,
  ): Promise<string> {
    return appendAudit(trx, this.store.dialect, {
      actor: actor.ref,
      action,
      targetKind,
      targetId,
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
    });
  }

  private async teamId(ref: unknown, field: string): Promise<string> {
    if (typeof ref !== 'string' || ref === '')
      throw new InvalidInput(`${field} must name a team`, field);
    const row = await this.db
      .selectFrom('teams')
      .select('id')
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .executeTakeFirst();
    if (row === undefined) throw new InvalidInput(`${field}: there is no team '${ref}'`, field);
    return row.id;
  }

  // --- domains ---------------------------------------------------------------------------

  /** Creates a domain owned by a team; needs the data-steward role in it. */
  async createDomain(
    actor: Principal,
    input: { name?: unknown; description?: unknown; ownerTeam?: unknown },
  ): Promise<Domain> {
    const name = parseName(input.name);
    const ownerTeamId = await this.teamId(input.ownerTeam, 'ownerTeam');
    requireRoleInTeam(actor, ownerTeamId, 'data-steward');
    const row = {
      id: newId('dom'),
      name,
      description: input.description === undefined ? '' : text(input.description, 'description'),
      owner_team_id: ownerTeamId,
      created_by: actor.ref,
      created_at: Date.now(),
    };
    try {
      await this.store.transaction(async (trx) => {
        await trx.withTables<CatalogTables>().insertInto('domains').values(row).execute();
        await this.audit(trx, actor, 'domain.create', 'domain', row.id, undefined, row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`domain '${name}' already exists`);
      throw error;
    }
    return this.getDomain(row.id);
  }

  async getDomain(ref: string): Promise<Domain> {
    const [domain] = await this.domains((q) =>
      q.where((eb) => eb.or([eb('d.id', '=', ref), eb('d.name', '=', ref)])),
    );
    if (domain === undefined) throw new NotFound('domain', ref);
    return domain;
  }

  /** Every domain in name order (domains are few: one per team or area of a company). */
  async listDomains(): Promise<Domain[]> {
    return this.domains((q) => q);
  }

  private async domains(
    filter: (
      q: ReturnType<CatalogService['domainQuery']>,
    ) => ReturnType<CatalogService['domainQuery']>,
  ): Promise<Domain[]> {
    const rows = await filter(this.domainQuery()).orderBy('d.name').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      ownerTeamId: r.owner_team_id,
      ownerTeamName: r.team_name,
      productCount: Number(r.product_count),
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  private domainQuery() {
    return this.db
      .selectFrom('domains as d')
      .innerJoin('teams as t', 't.id', 'd.owner_team_id')
      .select([
        'd.id',
        'd.name',
        'd.description',
        'd.owner_team_id',
        'd.created_at',
        't.name as team_name',
        (eb) =>
          eb
            .selectFrom('data_products as p')
            .select(eb.fn.countAll<number>().as('n'))
            .whereRef('p.domain_id', '=', 'd.id')
            .as('product_count'),
      ]);
  }

  // --- products --------------------------------------------------------------------------

  /** Creates a data product; needs the data-steward role in its owner team. */
  async createProduct(actor: Principal, input: ProductInput): Promise<DataProduct> {
    const name = parseName(input.name);
    const domain = await this.getDomain(typeof input.domain === 'string' ? input.domain : '').catch(
      () => {
        throw new InvalidInput(`domain: there is no domain '${String(input.domain)}'`, 'domain');
      },
    );
    const ownerTeamId =
      input.ownerTeam === undefined
        ? domain.ownerTeamId
        : await this.teamId(input.ownerTeam, 'ownerTeam');
    requireRoleInTeam(actor, ownerTeamId, 'data-steward');
    const now = Date.now();
    const row: DataProductsTable = {
      id: newId('dp'),
      domain_id: domain.id,
      name,
      description: input.description === undefined ? '' : text(input.description, 'description'),
      owner_team_id: ownerTeamId,
      classification: parseClassification(input.classification ?? 'internal'),
      personal_data: JSON.stringify(parsePersonalData(input.personalData)),
      residency: parseResidency(input.residency),
      rule: JSON.stringify(parseRule(input.rule)),
      slos: JSON.stringify(parseSlos(input.slos)),
      quality_status: 'unknown',
      quality_failures: '[]',
      quality_checked_at: null,
      contract: null,
      contract_version: '1.0.0',
      revision: 1,
      created_by: actor.ref,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.store.transaction(async (trx) => {
        await trx.withTables<CatalogTables>().insertInto('data_products').values(row).execute();
        await this.audit(trx, actor, 'product.create', 'data_product', row.id, undefined, row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`data product '${name}' already exists`);
      throw error;
    }
    await this.refreshProduct(row.id);
    return this.getProduct(actor, row.id);
  }

  /** Changes a product's description, classification, rule or SLOs; re-evaluates what it serves. */
  async updateProduct(actor: Principal, ref: string, input: ProductInput): Promise<DataProduct> {
    const before = await this.productRow(ref);
    requireRoleInTeam(actor, before.owner_team_id, 'data-steward');
    if (input.name !== undefined || input.domain !== undefined || input.ownerTeam !== undefined) {
      throw new InvalidInput(
        'name, domain and owner team of a product cannot change; create a new product',
        'name',
      );
    }
    const after: DataProductsTable = {
      ...before,
      ...(input.description === undefined
        ? {}
        : { description: text(input.description, 'description') }),
      ...(input.classification === undefined
        ? {}
        : { classification: parseClassification(input.classification) }),
      ...(input.personalData === undefined
        ? {}
        : { personal_data: JSON.stringify(parsePersonalData(input.personalData)) }),
      ...(input.residency === undefined ? {} : { residency: parseResidency(input.residency) }),
      ...(input.rule === undefined ? {} : { rule: JSON.stringify(parseRule(input.rule)) }),
      ...(input.slos === undefined ? {} : { slos: JSON.stringify(parseSlos(input.slos)) }),
      revision: before.revision + 1,
      updated_at: Date.now(),
    };
    await this.store.transaction(async (trx) => {
      const updated = await trx
        .withTables<CatalogTables>()
        .updateTable('data_products')
        .set(after)
        .where('id', '=', before.id)
        .where('revision', '=', before.revision)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        throw new Conflict(`data product '${before.name}' changed meanwhile; try again`);
      }
      await this.audit(trx, actor, 'product.update', 'data_product', before.id, before, after);
    });
    await this.refreshProduct(before.id);
    return this.getProduct(actor, before.id);
  }

  private async productRow(ref: string): Promise<DataProductsTable> {
    const row = await this.db
      .selectFrom('data_products')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('data product', ref);
    return row;
  }

  /** A product as the caller sees it (every signed-in user can discover products). */
  async getProduct(actor: Principal, ref: string): Promise<DataProduct> {
    const row = await this.productRow(ref);
    const [product] = await this.toProducts(actor, [row]);
    return product!;
  }

  /** Products in name order, one page at a time. */
  async listProducts(
    actor: Principal,
    query: { limit?: number; cursor?: string; domain?: string; readable?: boolean } = {},
  ): Promise<Page<DataProduct>> {
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('data_products')
      .selectAll()
      .orderBy('name')
      .limit(limit + 1);
    if (query.cursor !== undefined)
      select = select.where('name', '>', String(decodeCursor(query.cursor, 1)[0]));
    if (query.domain !== undefined) {
      const domain = await this.getDomain(query.domain);
      select = select.where('domain_id', '=', domain.id);
    }
    if (query.readable === true && !actor.platformAdmin) {
      const teams = teamIdsOf(actor);
      if (teams.length === 0) return { items: [], next: null };
      select = select.where((eb) =>
        eb.or([
          eb('owner_team_id', 'in', teams),
          eb(
            'id',
            'in',
            eb.selectFrom('product_grants').select('product_id').where('team_id', 'in', teams),
          ),
        ]),
      );
    }
    const rows = await select.execute();
    const page = toPage(
      rows,
      limit,
      (r) => [r.name],
      (r) => r,
    );
    return { items: await this.toProducts(actor, page.items), next: page.next };
  }

  private async toProducts(
    actor: Principal,
    rows: readonly DataProductsTable[],
  ): Promise<DataProduct[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [grants, teams, domains, counts] = await Promise.all([
      this.db
        .selectFrom('product_grants as g')
        .innerJoin('teams as t', 't.id', 'g.team_id')
        .select(['g.product_id', 'g.team_id', 't.name'])
        .where('g.product_id', 'in', ids)
        .orderBy('t.name')
        .execute(),
      this.db
        .selectFrom('teams')
        .select(['id', 'name'])
        .where(
          'id',
          'in',
          rows.map((r) => r.owner_team_id),
        )
        .execute(),
      this.db
        .selectFrom('domains')
        .select(['id', 'name'])
        .where(
          'id',
          'in',
          rows.map((r) => r.domain_id),
        )
        .execute(),
      this.db
        .selectFrom('product_recordings')
        .select(['product_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('product_id', 'in', ids)
        .groupBy('product_id')
        .execute(),
    ]);
    const memberOf = new Set(teamIdsOf(actor));
    return rows.map((row) => {
      const productGrants = grants
        .filter((g) => g.product_id === row.id)
        .map((g) => ({ teamId: g.team_id, teamName: g.name }));
      const access: ProductAccess =
        actor.platformAdmin || memberOf.has(row.owner_team_id)
          ? 'owner'
          : productGrants.some((g) => memberOf.has(g.teamId))
            ? 'granted'
            : 'none';
      return {
        id: row.id,
        name: row.name,
        domainId: row.domain_id,
        domainName: domains.find((d) => d.id === row.domain_id)?.name ?? '',
        ownerTeamId: row.owner_team_id,
        ownerTeamName: teams.find((t) => t.id === row.owner_team_id)?.name ?? '',
        description: row.description,
        classification: row.classification as Classification,
        personalData: JSON.parse(row.personal_data) as PersonalDataCategory[],
        residency: row.residency,
        rule: JSON.parse(row.rule) as ProductRule,
        slos: JSON.parse(row.slos) as ProductSlos,
        quality: {
          status: row.quality_status as DataProduct['quality']['status'],
          failures: JSON.parse(row.quality_failures) as QualityFailure[],
          checkedAt: iso(row.quality_checked_at),
        },
        grants: productGrants,
        recordingCount: Number(counts.find((c) => c.product_id === row.id)?.n ?? 0),
        access,
        contractVersion: row.contract_version,
        hasContract: row.contract !== null,
        revision: row.revision,
        createdAt: new Date(row.created_at).toISOString(),
        updatedAt: new Date(row.updated_at).toISOString(),
      };
    });
  }

  /** Recordings a product serves, newest first, if the caller may read the product. */
  async productRecordings(
    actor: Principal,
    ref: string,
    query: { limit?: number; cursor?: string } = {},
  ): Promise<
    Page<{
      id: string;
      name: string;
      vehicle: string | null;
      startMs: number | null;
      endMs: number | null;
      status: string;
    }>
  > {
    const product = await this.getProduct(actor, ref);
    if (product.access === 'none')
      throw new Forbidden(`your teams may not read data product '${product.name}'`);
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('product_recordings as pr')
      .innerJoin('recordings as r', 'r.id', 'pr.recording_id')
      .select(['r.id', 'r.name', 'r.vehicle', 'r.start_ms', 'r.end_ms', 'r.status'])
      .where('pr.product_id', '=', product.id)
      .orderBy('r.id', 'desc')
      .limit(limit + 1);
    if (query.cursor !== undefined)
      select = select.where('r.id', '<', String(decodeCursor(query.cursor, 1)[0]));
    return toPage(
      await select.execute(),
      limit,
      (r) => [r.id],
      (r) => ({
        id: r.id,
        name: r.name,
        vehicle: r.vehicle,
        startMs: r.start_ms,
        endMs: r.end_ms,
        status: r.status,
      }),
    );
  }

  // --- grants ----------------------------------------------------------------------------

  /** Lets a team read a product; needs the data-steward role in the owner team. */
  async grant(actor: Principal, ref: string, team: unknown): Promise<DataProduct> {
    const product = await this.productRow(ref);
    requireRoleInTeam(actor, product.owner_team_id, 'data-steward');
    const teamId = await this.teamId(team, 'team');
    if (teamId === product.owner_team_id) {
      throw new InvalidInput('the owner team reads its product without a grant', 'team');
    }
    const row = {
      product_id: product.id,
      team_id: teamId,
      granted_by: actor.ref,
      created_at: Date.now(),
    };
    await this.store.transaction(async (trx) => {
      const inserted = await trx
        .withTables<CatalogTables>()
        .insertInto('product_grants')
        .values(row)
        .onConflict((oc) => oc.columns(['product_id', 'team_id']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) {
        await this.audit(trx, actor, 'product.grant', 'data_product', product.id, undefined, row);
      }
    });
    return this.getProduct(actor, product.id);
  }

  /** Takes a team's read access away; needs the data-steward role in the owner team. */
  async revoke(actor: Principal, ref: string, team: unknown): Promise<DataProduct> {
    const product = await this.productRow(ref);
    requireRoleInTeam(actor, product.owner_team_id, 'data-steward');
    const teamId = await this.teamId(team, 'team');
    await this.store.transaction(async (trx) => {
      const deleted = await trx
        .withTables<CatalogTables>()
        .deleteFrom('product_grants')
        .where('product_id', '=', product.id)
        .where('team_id', '=', teamId)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) {
        throw new NotFound('grant', `${product.name} → ${String(team)}`);
      }
      await this.audit(
        trx,
        actor,
        'product.revoke',
        'data_product',
        product.id,
        { team_id: teamId },
        undefined,
      );
    });
    return this.getProduct(actor, product.id);
  }

  // --- access ----------------------------------------------------------------------------

  /** The segments a caller may read (see `ReadScope`). */
  async readScope(actor: Principal): Promise<ReadScope> {
    if (actor.platformAdmin) return { all: true };
    const teamIds = teamIdsOf(actor);
    if (teamIds.length === 0) return { all: false, teamIds, products: [] };
    const granted = await this.db
      .selectFrom('data_products as p')
      .innerJoin('product_grants as g', 'g.product_id', 'p.id')
      .select(['p.id', 'p.rule'])
      .where('g.team_id', 'in', teamIds)
      .where('p.owner_team_id', 'not in', teamIds)
      .distinct()
      .execute();
    return {
      all: false,
      teamIds,
      products: granted.map((p) => {
        const rule = JSON.parse(p.rule) as ProductRule;
        return { id: p.id, query: rule.query === undefined ? null : parseQuery(rule.query) };
      }),
    };
  }

  /** Whether the caller may read a recording: its team's, or served by a product granted to it. */
  async canReadRecording(actor: Principal, recordingId: string): Promise<boolean> {
    if (actor.platformAdmin) return true;
    const teams = teamIdsOf(actor);
    if (teams.length === 0) return false;
    const row = await this.db
      .selectFrom('recordings as r')
      .select('r.id')
      .where('r.id', '=', recordingId)
      .where((eb) =>
        eb.or([
          eb('r.team_id', 'in', teams),
          eb.exists(
            eb
              .selectFrom('product_recordings as pr')
              .innerJoin('product_grants as g', 'g.product_id', 'pr.product_id')
              .select('pr.product_id')
              .whereRef('pr.recording_id', '=', 'r.id')
              .where('g.team_id', 'in', teams),
          ),
        ]),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Throws NotFound or Forbidden unless the caller may read the product's data. */
  async requireReadable(actor: Principal, ref: string): Promise<DataProduct> {
    const product = await this.getProduct(actor, ref);
    if (product.access === 'none') {
      throw new Forbidden(
        `your teams may not read data product '${product.name}'; ask its owner team ${product.ownerTeamName} for a grant`,
        {
          product: product.name,
        },
      );
    }
    return product;
  }

  // --- contracts -------------------------------------------------------------------------

  /** The product's ODCS contract as YAML: the imported one, or one generated from the product. */
  async exportContract(actor: Principal, ref: string): Promise<string> {
    const product = await this.getProduct(actor, ref);
    const row = await this.productRow(product.id);
    if (row.contract !== null) return row.contract;
    return productToOdcsYaml({
      id: product.id,
      name: product.name,
      domain: product.domainName,
      ownerTeam: product.ownerTeamName,
      description: product.description,
      classification: product.classification,
      personalData: product.personalData,
      residency: product.residency,
      rule: product.rule,
      slos: product.slos,
      readers: product.grants.map((g) => g.teamName),
      contractVersion: product.contractVersion,
      createdAt: product.createdAt,
    });
  }

  /** Reads an ODCS contract (YAML or JSON text) into drivetrain's terms, validating it. */
  readContract(text: string): ContractTerms {
    if (this.contracts === undefined) {
      throw new InvalidInput(
        'contracts cannot be checked: the ODCS schema is not configured (set DRIVETRAIN_SCHEMAS to the folder holding odcs/odcs-json-schema-v3.1.0.json)',
        'contract',
      );
    }
    return contractTerms(parseYaml(text, 'contract'), this.contracts);
  }

  /**
   * Imports a contract: creates the product it describes, or updates it when it exists (same
   * name). Grants follow the contract's read roles. Needs the data-steward role in the owner team.
   */
  async importContract(
    actor: Principal,
    text: string,
  ): Promise<{ product: DataProduct; notRun: string[] }> {
    const terms = this.readContract(text);
    const ownerTeamId = await this.teamId(terms.ownerTeam, 'contract.team.name');
    requireRoleInTeam(actor, ownerTeamId, 'data-steward');
    const readerIds = await Promise.all(
      terms.readers.map((team, i) => this.teamId(team, `contract.roles[${i}].role`)),
    );
    const existing = await this.db
      .selectFrom('data_products')
      .selectAll()
      .where('name', '=', terms.name)
      .executeTakeFirst();
    const fields = {
      description: terms.description,
      classification: terms.classification,
      personalData: terms.personalData,
      residency: terms.residency,
      rule: terms.rule,
      slos: terms.slos,
    };
    if (existing !== undefined && existing.owner_team_id !== ownerTeamId) {
      throw new Conflict(`data product '${terms.name}' belongs to another team`);
    }
    const product =
      existing === undefined
        ? await this.createProduct(actor, {
            ...fields,
            name: terms.name,
            domain: terms.domain,
            ownerTeam: ownerTeamId,
          })
        : await this.updateProduct(actor, existing.id, fields);
    await this.store.transaction(async (trx) => {
      const db = trx.withTables<CatalogTables>();
      await db
        .updateTable('data_products')
        .set({ contract: text, contract_version: terms.version })
        .where('id', '=', product.id)
        .execute();
      await db.deleteFrom('product_grants').where('product_id', '=', product.id).execute();
      for (const teamId of readerIds.filter((id) => id !== ownerTeamId)) {
        await db
          .insertInto('product_grants')
          .values({
            product_id: product.id,
            team_id: teamId,
            granted_by: actor.ref,
            created_at: Date.now(),
          })
          .onConflict((oc) => oc.columns(['product_id', 'team_id']).doNothing())
          .execute();
      }
      await this.audit(trx, actor, 'contract.import', 'data_product', product.id, undefined, {
        contractId: terms.contractId,
        version: terms.version,
        readers: terms.readers,
      });
    });
    return { product: await this.getProduct(actor, product.id), notRun: [...terms.notRun] };
  }

  // --- membership and checks -------------------------------------------------------------

  /** Inserts the recordings a product's rule selects (of one recording only, when given). */
  private async addMatching(
    db: Db,
    product: DataProductsTable,
    recordingId?: string,
  ): Promise<void> {
    const rule = JSON.parse(product.rule) as ProductRule;
    let select = db
      .selectFrom('recordings as r')
      .select([sql.lit(product.id).as('product_id'), 'r.id as recording_id'])
      .where('r.team_id', '=', product.owner_team_id)
      .where('r.status', 'in', servableStatuses);
    if (recordingId !== undefined) select = select.where('r.id', '=', recordingId);
    if (rule.vehicles !== undefined) {
      const patterns = rule.vehicles.map(globToLike);
      select = select.where((eb) =>
        eb.or(patterns.map((p) => sql<boolean>`lower(r.vehicle) like ${p} escape '\\'`)),
      );
    }
    if (rule.from !== undefined) select = select.where('r.start_ms', '>=', Date.parse(rule.from));
    if (rule.to !== undefined) select = select.where('r.start_ms', '<', Date.parse(rule.to));
    if (rule.countries !== undefined) {
      const countries = rule.countries;
      select = select.where((eb) =>
        eb.exists(
          eb
            .selectFrom('segments as s')
            .select('s.id')
            .whereRef('s.recording_id', '=', 'r.id')
            .where('s.country', 'in', countries),
        ),
      );
    }
    for (const sensor of rule.sensors ?? []) {
      select = select.where((eb) =>
        eb.exists(
          eb
            .selectFrom('recording_channels as c')
            .select('c.channel_key')
            .whereRef('c.recording_id', '=', 'r.id')
            .where('c.sensor', '=', sensor)
            .where('c.message_count', '>', 0),
        ),
      );
    }
    await db
      .insertInto('product_recordings')
      .columns(['product_id', 'recording_id'])
      .expression(select)
      .onConflict((oc) => oc.columns(['product_id', 'recording_id']).doNothing())
      .execute();
  }

  /** Re-evaluates which recordings a product serves and re-runs all its checks. */
  async refreshProduct(productId: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const db = trx.withTables<RecordingsTables & CatalogTables>();
      const product = await db
        .selectFrom('data_products')
        .selectAll()
        .where('id', '=', productId)
        .executeTakeFirst();
      if (product === undefined) throw new NotFound('data product', productId);
      await db.deleteFrom('product_recordings').where('product_id', '=', productId).execute();
      await db.deleteFrom('contract_checks').where('product_id', '=', productId).execute();
      await this.addMatching(db, product);
      let after = '';
      for (;;) {
        const batch = await db
          .selectFrom('product_recordings')
          .select('recording_id')
          .where('product_id', '=', productId)
          .where('recording_id', '>', after)
          .orderBy('recording_id')
          .limit(500)
          .execute();
        if (batch.length === 0) break;
        await this.checkRecordings(
          db,
          product,
          batch.map((b) => b.recording_id),
        );
        after = batch.at(-1)!.recording_id;
      }
      await this.updateQuality(db, product);
    });
  }

  /**
   * Called by ingest once a recording is catalogued (and again once it is fully analysed):
   * adds it to the products whose rule selects it, runs their contract checks on it, and
   * updates each product's quality status. `syncScore` is the recording's sync quality score.
   */
  async recordingIngested(
    recordingId: string,
    quality: { syncScore?: number | null } = {},
  ): Promise<{ products: string[] }> {
    return this.store.transaction(async (trx) => {
      const db = trx.withTables<RecordingsTables & CatalogTables>();
      const recording = await db
        .selectFrom('recordings')
        .select(['id', 'team_id'])
        .where('id', '=', recordingId)
        .executeTakeFirst();
      if (recording === undefined) throw new NotFound('recording', recordingId);
      if (quality.syncScore !== undefined) {
        const row = {
          recording_id: recordingId,
          sync_score: quality.syncScore,
          updated_at: Date.now(),
        };
        await db
          .insertInto('recording_quality')
          .values(row)
          .onConflict((oc) =>
            oc
              .column('recording_id')
              .doUpdateSet({ sync_score: row.sync_score, updated_at: row.updated_at }),
          )
          .execute();
      }
      const products = await db
        .selectFrom('data_products')
        .selectAll()
        .where('owner_team_id', '=', recording.team_id)
        .execute();
      const serving: string[] = [];
      for (const product of products) {
        await db
          .deleteFrom('product_recordings')
          .where('product_id', '=', product.id)
          .where('recording_id', '=', recordingId)
          .execute();
        await db
          .deleteFrom('contract_checks')
          .where('product_id', '=', product.id)
          .where('recording_id', '=', recordingId)
          .execute();
        await this.addMatching(db, product, recordingId);
        const member = await db
          .selectFrom('product_recordings')
          .select('recording_id')
          .where('product_id', '=', product.id)
          .where('recording_id', '=', recordingId)
          .executeTakeFirst();
        if (member !== undefined) {
          serving.push(product.name);
          await this.checkRecordings(db, product, [recordingId]);
        }
        await this.updateQuality(db, product);
      }
      return { products: serving };
    });
  }

  /** Runs the per-recording checks of a product's SLOs and stores their results. */
  private async checkRecordings(
    db: Db,
    product: DataProductsTable,
    recordingIds: readonly string[],
  ): Promise<void> {
    const slos = JSON.parse(product.slos) as ProductSlos;
    const now = Date.now();
    const results: { recording_id: string; check_name: string; passed: number; detail: string }[] =
      [];
    const required = slos.requiredSensors;
    if (required.length > 0) {
      const present = await db
        .selectFrom('recording_channels')
        .select(['recording_id', 'sensor'])
        .where('recording_id', 'in', recordingIds)
        .where('message_count', '>', 0)
        .groupBy(['recording_id', 'sensor'])
        .execute();
      for (const id of recordingIds) {
        const have = new Set(present.filter((p) => p.recording_id === id).map((p) => p.sensor));
        const missing = required.filter((s) => !have.has(s));
        results.push({
          recording_id: id,
          check_name: 'required-sensors',
          passed: missing.length === 0 ? 1 : 0,
          detail:
            missing.length === 0 ? `has ${required.join(', ')}` : `missing ${missing.join(', ')}`,
        });
      }
    }
    if (slos.minSyncScore !== undefined) {
      const minimum = slos.minSyncScore;
      const scores = await db
        .selectFrom('recording_quality')
        .select(['recording_id', 'sync_score'])
        .where('recording_id', 'in', recordingIds)
        .execute();
      for (const id of recordingIds) {
        const score = scores.find((s) => s.recording_id === id)?.sync_score ?? null;
        results.push({
          recording_id: id,
          check_name: 'sync-score',
          passed: score !== null && score >= minimum ? 1 : 0,
          detail:
            score === null
              ? 'no sync report yet'
              : `sync score ${round(score)} (minimum ${minimum})`,
        });
      }
    }
    if (slos.minCompletenessPercent !== undefined) {
      const minimum = slos.minCompletenessPercent;
      const complete =
        required.length === 0
          ? sql<number>`count(*)`
          : sql<number>`sum(case when ${sql.join(
              required.map(
                (sensor) =>
                  sql`exists (select 1 from segment_tags t where t.tag = ${`sensor:${sensor}`} and t.segment_id = s.id)`,
              ),
              sql` and `,
            )} then 1 else 0 end)`;
      const counts = await db
        .selectFrom('segments as s')
        .select([
          's.recording_id',
          (eb) => eb.fn.countAll<number>().as('total'),
          complete.as('complete'),
        ])
        .where('s.recording_id', 'in', recordingIds)
        .groupBy('s.recording_id')
        .execute();
      for (const id of recordingIds) {
        const count = counts.find((c) => c.recording_id === id);
        const total = Number(count?.total ?? 0);
        const share = total === 0 ? 0 : (100 * Number(count?.complete ?? 0)) / total;
        results.push({
          recording_id: id,
          check_name: 'completeness',
          passed: share >= minimum ? 1 : 0,
          detail:
            total === 0
              ? 'no segments'
              : `${round(share)} % of ${total} segments complete (minimum ${minimum} %)`,
        });
      }
    }
    if (results.length === 0) return;
    await db
      .deleteFrom('contract_checks')
      .where('product_id', '=', product.id)
      .where('recording_id', 'in', recordingIds)
      .execute();
    for (let i = 0; i < results.length; i += 200) {
      await db
        .insertInto('contract_checks')
        .values(
          results.slice(i, i + 200).map((r) => ({ ...r, product_id: product.id, checked_at: now })),
        )
        .execute();
    }
  }

  /** Recomputes freshness and the product's quality status from its stored check results. */
  private async updateQuality(db: Db, product: DataProductsTable): Promise<void> {
    const slos = JSON.parse(product.slos) as ProductSlos;
    const now = Date.now();
    await db
      .deleteFrom('contract_checks')
      .where('product_id', '=', product.id)
      .where('recording_id', '=', '')
      .execute();
    if (slos.maxAgeHours !== undefined) {
      const newest = await db
        .selectFrom('product_recordings as pr')
        .innerJoin('recordings as r', 'r.id', 'pr.recording_id')
        .select((eb) => eb.fn.max('r.end_ms').as('end_ms'))
        .where('pr.product_id', '=', product.id)
        .executeTakeFirst();
      const end =
        newest?.end_ms === null || newest?.end_ms === undefined ? null : Number(newest.end_ms);
      const ageHours = end === null ? null : (now - end) / 3_600_000;
      await db
        .insertInto('contract_checks')
        .values({
          product_id: product.id,
          recording_id: '',
          check_name: 'freshness',
          passed: ageHours !== null && ageHours <= slos.maxAgeHours ? 1 : 0,
          detail:
            ageHours === null
              ? 'no recordings'
              : `newest recording ended ${round(ageHours)} h ago (at most ${slos.maxAgeHours} h)`,
          checked_at: now,
        })
        .execute();
    }
    const [checks, failing] = await Promise.all([
      db
        .selectFrom('contract_checks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('product_id', '=', product.id)
        .executeTakeFirst(),
      db
        .selectFrom('contract_checks')
        .select([
          'check_name',
          (eb) => eb.fn.countAll<number>().as('n'),
          (eb) => eb.fn.min('recording_id').as('example'),
          (eb) => eb.fn.min('detail').as('detail'),
        ])
        .where('product_id', '=', product.id)
        .where('passed', '=', 0)
        .groupBy('check_name')
        .orderBy('check_name')
        .execute(),
    ]);
    const failures: QualityFailure[] = failing.map((f) => ({
      check: f.check_name,
      recordings: f.example === '' ? 0 : Number(f.n),
      example: f.example === '' ? null : f.example,
      detail: f.detail,
    }));
    const status =
      failures.length > 0 ? 'failing' : Number(checks?.n ?? 0) > 0 ? 'passing' : 'unknown';
    await db
      .updateTable('data_products')
      .set({
        quality_status: status,
        quality_failures: JSON.stringify(failures),
        quality_checked_at: now,
      })
      .where('id', '=', product.id)
      .execute();
  }

  /** Re-runs every check of a product now (freshness changes with time alone). */
  async recheck(actor: Principal, ref: string): Promise<DataProduct> {
    const product = await this.requireReadable(actor, ref);
    await this.refreshProduct(product.id);
    return this.getProduct(actor, product.id);
  }

  /** The stored check results of a product, failing first. */
  async checks(
    actor: Principal,
    ref: string,
    query: { failingOnly?: boolean; limit?: number } = {},
  ): Promise<CheckResult[]> {
    const product = await this.requireReadable(actor, ref);
    let select = this.db
      .selectFrom('contract_checks')
      .selectAll()
      .where('product_id', '=', product.id)
      .orderBy('passed')
      .orderBy('check_name')
      .orderBy('recording_id')
      .limit(pageSize(query.limit ?? 500));
    if (query.failingOnly === true) select = select.where('passed', '=', 0);
    const rows = await select.execute();
    return rows.map((r) => ({
      recordingId: r.recording_id,
      check: r.check_name,
      passed: r.passed === 1,
      detail: r.detail,
      checkedAt: new Date(r.checked_at).toISOString(),
    }));
  }

  /** Whether the caller may steward a product (change it, grant it). */
  canSteward(actor: Principal, product: DataProduct): boolean {
    return holdsRoleInTeam(actor, product.ownerTeamId, 'data-steward');
  }
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new InvalidInput(`${field} must be a string`, field);
  return value;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
