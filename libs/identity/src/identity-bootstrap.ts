/**
 * Start-up checks on the identity data: the signup default role must exist, and the first administrator is created
 * from AUTH_BOOTSTRAP_ADMIN_* while no admin exists. An existing account with that name or address is never promoted
 * (it may belong to anyone who signed up first): start-up fails instead, naming the problem.
 */
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ROLES, SightlineError } from '@sightline/contracts';
import { RoleEntity } from '@sightline/db';
import { LOGGER, type Logger } from '@sightline/observability';
import { DataSource } from 'typeorm';
import { type IdentityConfig } from './config.js';
import { AUTH_CONFIG } from './tokens.js';
import { UsersService } from './users.service.js';
import { parseRequest, usernameSchema, emailSchema } from './requests.js';
import { IdentityErrorCode } from './errors.js';
import { IdentityLogCode } from './errors.js';

@Injectable()
export class IdentityBootstrap implements OnApplicationBootstrap {
  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(AUTH_CONFIG) private readonly config: IdentityConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const defaultRole = this.config.AUTH_SIGNUP_DEFAULT_ROLE;
    if (!(await this.db.manager.existsBy(RoleEntity, { name: defaultRole }))) {
      throw new SightlineError(IdentityErrorCode.configInvalid, `AUTH_SIGNUP_DEFAULT_ROLE: role "${defaultRole}" does not exist`, {
        role: defaultRole,
      });
    }
    await this.ensureFirstAdmin();
  }

  private async ensureFirstAdmin(): Promise<void> {
    if (await this.users.adminExists()) return;
    const {
      AUTH_BOOTSTRAP_ADMIN_USERNAME: rawUsername,
      AUTH_BOOTSTRAP_ADMIN_EMAIL: rawEmail,
      AUTH_BOOTSTRAP_ADMIN_PASSWORD: password,
    } = this.config;
    if (!rawUsername || !rawEmail || !password) {
      this.logger.warn('no administrator exists: set AUTH_BOOTSTRAP_ADMIN_USERNAME, _EMAIL and _PASSWORD and restart', {
        code: IdentityLogCode.noAdmin,
      });
      return;
    }
    const username = parseRequest(usernameSchema, rawUsername, 'AUTH_BOOTSTRAP_ADMIN_USERNAME');
    const email = parseRequest(emailSchema, rawEmail, 'AUTH_BOOTSTRAP_ADMIN_EMAIL');
    try {
      const admin = await this.users.create({ username, email, password, roles: [ROLES.admin] });
      this.logger.info('first administrator created', { userId: admin.id, username });
    } catch (err) {
      if (!(err instanceof SightlineError && err.code === IdentityErrorCode.userExists)) throw err;
      // Another replica may have created it a moment ago; otherwise the name belongs to someone else.
      if (await this.users.adminExists()) return;
      throw new SightlineError(
        IdentityErrorCode.bootstrapAdminConflict,
        `cannot create the first administrator: ${err.message} by a non-admin account`,
        {
          username,
        },
      );
    }
  }
}
