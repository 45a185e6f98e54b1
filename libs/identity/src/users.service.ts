/**
 * Users and their roles. Every write is one transaction; changes that take power away (password, removed roles,
 * deletion) revoke the user's existing tokens. Removing the admin role from the last admin is refused, serialised by
 * a row lock on the `admin` role so two concurrent demotions cannot both pass the check.
 */
import { Inject, Injectable } from '@nestjs/common';
import { ROLES, SightlineError } from '@sightline/contracts';
import { awaitsVerification, RoleEntity, UserEntity } from '@sightline/db';
import { DataSource, In, QueryFailedError, type EntityManager } from 'typeorm';
import { type UserPage, type UserView } from '@sightline/contracts';
import { type IdentityConfig } from './config.js';
import { PasswordHasher } from './passwords.js';
import { TokenRevocations } from './token-revocations.js';
import { AUTH_CONFIG } from './tokens.js';
import { type CreateUserRequest, type ListUsersQuery, type UpdateUserRequest } from './requests.js';
import { IdentityErrorCode } from './errors.js';

/** What login needs: the hash, which no other read selects. */
export interface LoginCandidate {
  id: number;
  username: string;
  passwordHash: string;
  roles: string[];
}

const toView = (user: UserEntity): UserView => ({
  id: user.id,
  username: user.username,
  email: user.email,
  roles: user.roles.map((r) => r.name).sort(),
  createdAt: user.createdAt.toISOString(),
});

/** `%` and `_` typed by a user are literal characters in a search, not wildcards. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const UNIQUE_FIELDS: Record<string, 'username' | 'email'> = { users_username_key: 'username', users_email_key: 'email' };

@Injectable()
export class UsersService {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
    @Inject(TokenRevocations) private readonly revocations: TokenRevocations,
    @Inject(AUTH_CONFIG) private readonly config: IdentityConfig,
  ) {}

  /**
   * Creates a user (by default with the signup role). `alsoInTransaction` runs in the same transaction once the user
   * exists, e.g. to store a pending e-mail verification with it.
   */
  async create(request: CreateUserRequest, alsoInTransaction?: (tx: EntityManager, userId: number) => Promise<void>): Promise<UserView> {
    // Cheap uniqueness check first so a duplicate does not cost a bcrypt hash; the unique index still decides races.
    await this.assertAvailable(this.db.manager, { username: request.username, email: request.email });
    const passwordHash = await this.hasher.hash(request.password);
    return this.db.transaction(async (tx) => {
      const roles = await this.findRoles(tx, request.roles ?? [this.config.AUTH_SIGNUP_DEFAULT_ROLE]);
      const user = tx.create(UserEntity, { username: request.username, email: request.email, password: passwordHash, roles });
      await this.mapConflicts(tx.save(user));
      await alsoInTransaction?.(tx, user.id);
      return this.get(user.id, tx);
    });
  }

  /** Whether the user signed up and has not yet confirmed the e-mail address (such an account may not log in). */
  async awaitsVerification(id: number, tx: EntityManager = this.db.manager): Promise<boolean> {
    return awaitsVerification(tx, id);
  }

  async get(id: number, tx: EntityManager = this.db.manager): Promise<UserView> {
    const user = await tx.findOne(UserEntity, { where: { id }, relations: { roles: true } });
    if (!user) throw new SightlineError(IdentityErrorCode.userNotFound, 'user not found', { userId: id });
    return toView(user);
  }

  async list(query: ListUsersQuery): Promise<UserPage> {
    const qb = this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .leftJoinAndSelect('u.roles', 'r')
      .orderBy('u.id', 'ASC')
      .skip((query.page - 1) * query.pageSize)
      .take(query.pageSize);
    if (query.search) {
      qb.andWhere('(u.username ILIKE :pattern OR u.email ILIKE :pattern)', { pattern: `%${escapeLike(query.search)}%` });
    }
    if (query.role) {
      qb.andWhere('u.id IN (SELECT ur.user_id FROM user_roles ur JOIN roles fr ON fr.id = ur.role_id WHERE fr.name = :role)', {
        role: query.role,
      });
    }
    const [users, total] = await qb.getManyAndCount();
    return { items: users.map(toView), total, page: query.page, pageSize: query.pageSize };
  }

  async findForLogin(username: string): Promise<LoginCandidate | undefined> {
    const user = await this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .addSelect('u.password')
      .leftJoinAndSelect('u.roles', 'r')
      .where('u.username = :username', { username })
      .getOne();
    return user ? { id: user.id, username: user.username, passwordHash: user.password, roles: toView(user).roles } : undefined;
  }

  async findByEmail(email: string): Promise<UserView | undefined> {
    const user = await this.db.manager.findOne(UserEntity, { where: { email }, relations: { roles: true } });
    return user ? toView(user) : undefined;
  }

  async adminExists(): Promise<boolean> {
    return (await this.countHolders(this.db.manager, ROLES.admin)) > 0;
  }

  async update(id: number, patch: UpdateUserRequest): Promise<UserView> {
    if (patch.email !== undefined) await this.assertAvailable(this.db.manager, { email: patch.email }, id);
    const passwordHash = patch.password === undefined ? undefined : await this.hasher.hash(patch.password);
    const cutoff = await this.db.transaction(async (tx) => {
      if (patch.roles) await this.lockAdminRole(tx);
      const current = await this.get(id, tx);
      let revoke = false;
      const columns = {
        ...(patch.email !== undefined && { email: patch.email }),
        ...(passwordHash !== undefined && { password: passwordHash }),
      };
      if (Object.keys(columns).length) {
        await this.mapConflicts(tx.update(UserEntity, { id }, columns));
        revoke ||= passwordHash !== undefined;
      }
      if (patch.roles) {
        const wanted = await this.findRoles(tx, patch.roles);
        const removed = current.roles.filter((name) => !wanted.some((r) => r.name === name));
        if (removed.includes(ROLES.admin)) await this.assertNotLastAdmin(tx, id);
        await tx.query('DELETE FROM user_roles WHERE user_id = $1', [id]);
        if (wanted.length) {
          await tx.query('INSERT INTO user_roles (user_id, role_id) SELECT $1, unnest($2::int[])', [id, wanted.map((r) => r.id)]);
        }
        revoke ||= removed.length > 0;
      }
      return revoke ? this.revocations.revoke(tx, [id]) : undefined;
    });
    await this.revocations.settle(cutoff);
    return this.get(id);
  }

  async delete(id: number): Promise<void> {
    const cutoff = await this.db.transaction(async (tx) => {
      await this.lockAdminRole(tx);
      const user = await this.get(id, tx);
      if (user.roles.includes(ROLES.admin)) await this.assertNotLastAdmin(tx, id);
      // user_roles has no ON DELETE CASCADE (requirements §8.1's DDL): remove the memberships explicitly, same transaction.
      await tx.query('DELETE FROM user_roles WHERE user_id = $1', [id]);
      await tx.delete(UserEntity, { id });
      // The revocation outlives the user: it is how the other services learn that the user's tokens are void.
      return this.revocations.revoke(tx, [id]);
    });
    await this.revocations.settle(cutoff);
  }

  async assignRole(id: number, roleName: string): Promise<UserView> {
    return this.db.transaction(async (tx) => {
      await this.get(id, tx);
      const [role] = await this.findRoles(tx, [roleName], IdentityErrorCode.roleNotFound);
      await tx.query('INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [id, role!.id]);
      return this.get(id, tx);
    });
  }

  async revokeRole(id: number, roleName: string): Promise<UserView> {
    const cutoff = await this.db.transaction(async (tx) => {
      if (roleName === ROLES.admin) await this.lockAdminRole(tx);
      const user = await this.get(id, tx);
      const [role] = await this.findRoles(tx, [roleName], IdentityErrorCode.roleNotFound);
      if (!user.roles.includes(role!.name)) return undefined;
      if (role!.name === ROLES.admin) await this.assertNotLastAdmin(tx, id);
      await tx.query('DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2', [id, role!.id]);
      return this.revocations.revoke(tx, [id]);
    });
    await this.revocations.settle(cutoff);
    return this.get(id);
  }

  /** Resolves role names; an unknown one is a field error of a request body, or a 404 for a path parameter. */
  private async findRoles(
    tx: EntityManager,
    names: string[],
    missingCode: typeof IdentityErrorCode.validationFailed | typeof IdentityErrorCode.roleNotFound = IdentityErrorCode.validationFailed,
  ) {
    const unique = [...new Set(names)];
    const roles = unique.length ? await tx.find(RoleEntity, { where: { name: In(unique) } }) : [];
    const missing = unique.filter((name) => !roles.some((r) => r.name === name));
    if (missing.length) {
      throw missingCode === IdentityErrorCode.roleNotFound
        ? new SightlineError(IdentityErrorCode.roleNotFound, 'role not found', { role: missing[0] })
        : new SightlineError(IdentityErrorCode.validationFailed, 'invalid body', {
            fieldErrors: { roles: missing.map((name) => `unknown role "${name}"`) },
          });
    }
    return roles;
  }

  private async assertAvailable(tx: EntityManager, fields: { username?: string; email?: string }, exceptUserId?: number) {
    for (const field of ['username', 'email'] as const) {
      const value = fields[field];
      if (value === undefined) continue;
      const owner = await tx.findOne(UserEntity, { where: { [field]: value }, select: { id: true } });
      if (owner && owner.id !== exceptUserId) throw conflict(field);
    }
  }

  private async mapConflicts<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (err) {
      const field =
        err instanceof QueryFailedError ? UNIQUE_FIELDS[(err.driverError as { constraint?: string }).constraint ?? ''] : undefined;
      throw field ? conflict(field) : err;
    }
  }

  private async lockAdminRole(tx: EntityManager): Promise<void> {
    await tx.query('SELECT id FROM roles WHERE name = $1 FOR UPDATE', [ROLES.admin]);
  }

  private async countHolders(tx: EntityManager, roleName: string, exceptUserId = 0): Promise<number> {
    const [row] = await tx.query(
      'SELECT count(*)::int AS n FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = $1 AND ur.user_id <> $2',
      [roleName, exceptUserId],
    );
    return row.n;
  }

  private async assertNotLastAdmin(tx: EntityManager, userId: number): Promise<void> {
    if ((await this.countHolders(tx, ROLES.admin, userId)) === 0) {
      throw new SightlineError(IdentityErrorCode.lastAdmin, 'refused: this is the last administrator', { userId });
    }
  }
}

function conflict(field: 'username' | 'email'): SightlineError {
  return new SightlineError(IdentityErrorCode.userExists, `${field} already taken`, { fieldErrors: { [field]: ['already taken'] } });
}
