/**
 * Identity tables owned by the auth service. `users`, `roles` and `user_roles` are exactly the specification's DDL
 * (§8); the two extra tables exist for features only: single-use password-reset tokens and per-user token revocation.
 */
import { Column, Entity, JoinColumn, JoinTable, ManyToMany, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'roles' })
export class RoleEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 32, unique: true })
  name!: string;
}

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  @Column({ type: 'varchar', length: 255, unique: true })
  email!: string;

  /** bcrypt hash. Not selected by default so that no query result can leak it by accident. */
  @Column({ type: 'varchar', length: 255, select: false })
  password!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  /** The `user_roles` join table (composite primary key, FKs to both sides, no cascade: deletes are explicit). */
  @ManyToMany(() => RoleEntity)
  @JoinTable({
    name: 'user_roles',
    joinColumn: { name: 'user_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'role_id', referencedColumnName: 'id' },
  })
  roles!: RoleEntity[];
}

/** A password-reset token: only its SHA-256 is stored; the row is deleted when used, so it works once. */
@Entity({ name: 'password_reset_tokens' })
export class PasswordResetTokenEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ name: 'user_id', type: 'int' })
  userId!: number;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: UserEntity;

  /** Hex SHA-256 of the token (tokens carry 256 random bits, so a fast hash is enough and allows lookup). */
  @Column({ name: 'token_hash', type: 'char', length: 64, unique: true })
  tokenHash!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

/**
 * Access tokens of this user issued (`iat`) before `revokedBefore` are no longer accepted (by the auth service, and by
 * every other service through its revocation feed): set on password reset/change, role or session-grant removal and
 * user deletion. One row per user, moved forward only.
 */
@Entity({ name: 'token_revocations' })
export class TokenRevocationEntity {
  /** No foreign key: a deleted user's revocation outlives the user (other services learn it from this table). */
  @PrimaryColumn({ name: 'user_id', type: 'int' })
  userId!: number;

  @Column({ name: 'revoked_before', type: 'timestamptz' })
  revokedBefore!: Date;
}
