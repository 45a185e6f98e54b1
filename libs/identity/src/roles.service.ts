/** Roles: list, create, delete. The seeded roles and the signup default role cannot be deleted. */
import { Inject, Injectable } from '@nestjs/common';
import { ALL_ROLES, SightlineError, type RoleView } from '@sightline/contracts';
import { RoleEntity } from '@sightline/db';
import { DataSource, QueryFailedError } from 'typeorm';
import { type IdentityConfig } from './config.js';
import { TokenRevocations } from './token-revocations.js';
import { AUTH_CONFIG } from './tokens.js';
import { IdentityErrorCode } from './errors.js';

@Injectable()
export class RolesService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TokenRevocations) private readonly revocations: TokenRevocations,
    @Inject(AUTH_CONFIG) private readonly config: IdentityConfig,
  ) {}

  async list(): Promise<RoleView[]> {
    const rows: { id: number; name: string; user_count: number }[] = await this.db.query(
      `SELECT r.id, r.name, count(ur.user_id)::int AS user_count
       FROM roles r LEFT JOIN user_roles ur ON ur.role_id = r.id GROUP BY r.id ORDER BY r.name`,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, userCount: r.user_count, protected: this.isProtected(r.name) }));
  }

  async create(name: string): Promise<RoleView> {
    try {
      const role = await this.db.getRepository(RoleEntity).save({ name });
      return { id: role.id, name: role.name, userCount: 0, protected: false };
    } catch (err) {
      if (err instanceof QueryFailedError && (err.driverError as { code?: string }).code === '23505') {
        throw new SightlineError(IdentityErrorCode.roleExists, 'role already exists', { role: name });
      }
      throw err;
    }
  }

  /** Deletes the role and its memberships; its holders' tokens (which still name it) are revoked. */
  async delete(name: string): Promise<void> {
    if (this.isProtected(name)) throw new SightlineError(IdentityErrorCode.roleProtected, 'this role cannot be deleted', { role: name });
    const cutoff = await this.db.transaction(async (tx) => {
      const role = await tx.findOne(RoleEntity, { where: { name }, lock: { mode: 'pessimistic_write' } });
      if (!role) throw new SightlineError(IdentityErrorCode.roleNotFound, 'role not found', { role: name });
      // The role row is locked: no assignment can be added between this read and the delete.
      const holders: { user_id: number }[] = await tx.query('SELECT user_id FROM user_roles WHERE role_id = $1', [role.id]);
      await tx.query('DELETE FROM user_roles WHERE role_id = $1', [role.id]);
      await tx.delete(RoleEntity, { id: role.id });
      return this.revocations.revoke(
        tx,
        holders.map((h) => h.user_id),
      );
    });
    await this.revocations.settle(cutoff);
  }

  private isProtected(name: string): boolean {
    return (ALL_ROLES as string[]).includes(name) || name === this.config.AUTH_SIGNUP_DEFAULT_ROLE;
  }
}
