/** Administration (role `admin`): users and roles. Every route is guarded at class level. */
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ROLES, roleViewSchema, userPageSchema, userViewSchema, type RoleView, type UserPage, type UserView } from '@sightline/contracts';
import { AuthEndpoint } from './openapi.js';
import { RolesService, UsersService } from '@sightline/identity';
import { Authenticated } from './authenticated.js';
import {
  createRoleSchema,
  createUserSchema,
  listUsersQuerySchema,
  roleNameSchema,
  updateUserSchema,
  userIdSchema,
  type CreateUserRequest,
  type ListUsersQuery,
  type UpdateUserRequest,
} from '@sightline/identity';
import { ZodPipe } from './validation.js';
import { z } from 'zod';

const idPipe = () => new ZodPipe(userIdSchema, 'id');
const rolePipe = () => new ZodPipe(roleNameSchema, 'role');

@ApiTags('admin')
@Controller('admin/users')
@Authenticated(ROLES.admin)
export class AdminUsersController {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @Get()
  @AuthEndpoint({
    summary: 'List users; search (username/email substring), role filter, pagination',
    query: listUsersQuerySchema,
    status: 200,
    response: userPageSchema,
    errors: [400, 401, 403],
  })
  list(@Query(new ZodPipe(listUsersQuerySchema, 'query')) query: ListUsersQuery): Promise<UserPage> {
    return this.users.list(query);
  }

  @Post()
  @AuthEndpoint({
    summary: 'Create a user (roles default to the signup role)',
    body: createUserSchema,
    status: 201,
    response: userViewSchema,
    errors: [400, 401, 403, 409],
  })
  create(@Body(new ZodPipe(createUserSchema, 'body')) body: CreateUserRequest): Promise<UserView> {
    return this.users.create(body);
  }

  @Get(':id')
  @AuthEndpoint({ summary: 'One user', status: 200, response: userViewSchema, errors: [400, 401, 403, 404] })
  get(@Param('id', idPipe()) id: number): Promise<UserView> {
    return this.users.get(id);
  }

  @Patch(':id')
  @AuthEndpoint({
    summary: 'Change email, password and/or roles (replaces the set); a new password or a removed role ends the user’s sessions',
    body: updateUserSchema,
    status: 200,
    response: userViewSchema,
    errors: [400, 401, 403, 404, 409],
  })
  update(@Param('id', idPipe()) id: number, @Body(new ZodPipe(updateUserSchema, 'body')) body: UpdateUserRequest): Promise<UserView> {
    return this.users.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @AuthEndpoint({ summary: 'Delete a user (not the last admin)', status: 204, errors: [400, 401, 403, 404, 409] })
  async delete(@Param('id', idPipe()) id: number): Promise<void> {
    await this.users.delete(id);
  }

  @Put(':id/roles/:role')
  @AuthEndpoint({ summary: 'Assign a role (idempotent)', status: 200, response: userViewSchema, errors: [400, 401, 403, 404] })
  assignRole(@Param('id', idPipe()) id: number, @Param('role', rolePipe()) role: string): Promise<UserView> {
    return this.users.assignRole(id, role);
  }

  @Delete(':id/roles/:role')
  @AuthEndpoint({
    summary: 'Revoke a role (idempotent; not admin from the last admin); ends the user’s sessions',
    status: 200,
    response: userViewSchema,
    errors: [400, 401, 403, 404, 409],
  })
  revokeRole(@Param('id', idPipe()) id: number, @Param('role', rolePipe()) role: string): Promise<UserView> {
    return this.users.revokeRole(id, role);
  }
}

@ApiTags('admin')
@Controller('admin/roles')
@Authenticated(ROLES.admin)
export class AdminRolesController {
  constructor(@Inject(RolesService) private readonly roles: RolesService) {}

  @Get()
  @AuthEndpoint({ summary: 'List roles with member counts', status: 200, response: z.array(roleViewSchema), errors: [401, 403] })
  list(): Promise<RoleView[]> {
    return this.roles.list();
  }

  @Post()
  @AuthEndpoint({ summary: 'Create a role', body: createRoleSchema, status: 201, response: roleViewSchema, errors: [400, 401, 403, 409] })
  create(@Body(new ZodPipe(createRoleSchema, 'body')) body: z.output<typeof createRoleSchema>): Promise<RoleView> {
    return this.roles.create(body.name);
  }

  @Delete(':role')
  @HttpCode(204)
  @AuthEndpoint({
    summary: 'Delete a role and its assignments (seeded and signup roles are protected)',
    status: 204,
    errors: [400, 401, 403, 404, 409],
  })
  async delete(@Param('role', rolePipe()) role: string): Promise<void> {
    await this.roles.delete(role);
  }
}
