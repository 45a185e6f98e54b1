/**
 * Administration (admins only; the auth service enforces it): users with their roles and session grants, and the
 * roles themselves.
 */
import { ALL_SESSIONS, isOperating, ROLES } from '@sightline/contracts';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RoleView, UserView } from '../api.js';
import { ErrorNotice, formatTime, usePolling, useSignedIn } from './common.js';

const USERS_PER_PAGE = 20;

export function AdminPage() {
  const { api } = useSignedIn();
  const roles = usePolling(() => api.roles(), 30_000, [api]);
  const [usersVersion, setUsersVersion] = useState(0);
  const changed = () => {
    setUsersVersion((v) => v + 1);
    roles.refresh();
  };
  const roleNames = roles.data?.map((r) => r.name) ?? [ROLES.admin, ROLES.operator, ROLES.agent];
  return (
    <section>
      <h2>Administration</h2>
      <UsersPanel roleNames={roleNames} version={usersVersion} onChanged={changed} />
      <div class="grid">
        <CreateUserForm roleNames={roleNames} onCreated={changed} />
        <RolesPanel roles={roles.data} error={roles.error} onChanged={changed} />
      </div>
    </section>
  );
}

function UsersPanel({ roleNames, version, onChanged }: { roleNames: string[]; version: number; onChanged: () => void }) {
  const { api, session } = useSignedIn();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const users = usePolling(() => api.users({ search: search.trim() || undefined, page, pageSize: USERS_PER_PAGE }), 30_000, [
    api,
    search,
    page,
    version,
  ]);
  const [error, setError] = useState<unknown>();
  const [deleting, setDeleting] = useState<UserView>();

  const run = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(err);
    }
    onChanged();
  };
  const pages = users.data ? Math.max(1, Math.ceil(users.data.total / USERS_PER_PAGE)) : 1;

  return (
    <article>
      <header class="card-header">
        <strong>Users</strong>
        <input
          type="search"
          name="search"
          aria-label="Search users"
          placeholder="Search name or e-mail"
          value={search}
          onInput={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
        />
      </header>
      <ErrorNotice error={users.error ?? error} />
      <div class="overflow-auto">
        <table class="striped" data-testid="users-table">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">E-mail</th>
              <th scope="col">Roles</th>
              <th scope="col">Sessions</th>
              <th scope="col">Created</th>
              <th scope="col" />
            </tr>
          </thead>
          <tbody>
            {users.data?.items.map((user) => (
              <tr key={user.id} data-username={user.username}>
                <th scope="row">{user.username}</th>
                <td>{user.email}</td>
                <td>
                  <fieldset class="roles">
                    {roleNames.map((role) => (
                      <label key={role}>
                        <input
                          type="checkbox"
                          name={`role-${role}`}
                          checked={user.roles.includes(role)}
                          onChange={(e) =>
                            void run(() => (e.currentTarget.checked ? api.assignRole(user.id, role) : api.revokeRole(user.id, role)))
                          }
                        />
                        {role}
                      </label>
                    ))}
                  </fieldset>
                </td>
                <td>
                  <SessionGrantsCell user={user} version={version} />
                </td>
                <td>
                  <small>{formatTime(user.createdAt)}</small>
                </td>
                <td>
                  <button
                    class="secondary outline"
                    disabled={user.username === session.username}
                    onClick={() => setDeleting(user)}
                    aria-label={`Delete ${user.username}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <footer>
        <button class="secondary outline" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
          Previous
        </button>{' '}
        page {page} of {pages} ({users.data?.total ?? '…'} users){' '}
        <button class="secondary outline" disabled={page >= pages} onClick={() => setPage((p) => p + 1)}>
          Next
        </button>
      </footer>
      <ConfirmDialog
        open={deleting !== undefined}
        title={`Delete ${deleting?.username}?`}
        message="The account, its role assignments and its session grants are removed; its tokens stop working everywhere within seconds."
        confirmLabel="Delete user"
        onClose={(confirmed) => {
          const user = deleting;
          setDeleting(undefined);
          if (confirmed && user) void run(() => api.deleteUser(user.id));
        }}
      />
    </article>
  );
}

/**
 * The sessions a user may see: operators and admins all of them by role; anyone else what is granted here (`*` =
 * every session). A new grant applies at the user's next login; taking one away ends their sessions at once.
 */
function SessionGrantsCell({ user, version }: { user: UserView; version: number }) {
  const { api } = useSignedIn();
  const grants = usePolling(() => api.sessionGrants(user.id), 60_000, [api, user.id, version]);
  const [sessionId, setSessionId] = useState('');
  const [error, setError] = useState<unknown>();
  if (isOperating(user)) return <small>all (by role)</small>;

  const run = async (action: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await action();
      setSessionId('');
    } catch (err) {
      setError(err);
    }
    grants.refresh();
  };
  const granted = grants.data?.sessions ?? [];
  return (
    <div class="grants" data-testid={`grants-${user.username}`}>
      {granted.length === 0 && <small>none</small>}
      {granted.map((id) => (
        <button
          key={id}
          class="secondary outline chip"
          onClick={() => void run(() => api.revokeSession(user.id, id))}
          aria-label={`Revoke ${id} from ${user.username}`}
        >
          {id === ALL_SESSIONS ? 'all sessions' : id} ×
        </button>
      ))}
      <form
        aria-label={`Grant a session to ${user.username}`}
        onSubmit={(e) => {
          e.preventDefault();
          if (sessionId.trim()) void run(() => api.grantSession(user.id, sessionId.trim()));
        }}
      >
        <input
          name="grantSession"
          placeholder="session id or *"
          aria-label={`Session to grant ${user.username}`}
          value={sessionId}
          onInput={(e) => setSessionId(e.currentTarget.value)}
        />
        <button type="submit">Grant</button>
      </form>
      <ErrorNotice error={grants.error ?? error} />
    </div>
  );
}

function CreateUserForm({ roleNames, onCreated }: { roleNames: string[]; onCreated: () => void }) {
  const { api } = useSignedIn();
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<string[]>([ROLES.agent]);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setCreated(undefined);
    try {
      const user = await api.createUser({ username: username.trim(), email: email.trim(), password, roles });
      setCreated(user.username);
      setUsername('');
      setEmail('');
      setPassword('');
      setRoles([ROLES.agent]);
      onCreated();
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };

  return (
    <article>
      <header>
        <strong>New user</strong>
      </header>
      <form onSubmit={submit} aria-label="Create a user">
        <label>
          Username
          <input
            name="newUsername"
            required
            minLength={3}
            maxLength={64}
            autocomplete="off"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          E-mail
          <input name="newEmail" type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          Password <small>(12+ characters, not containing the name)</small>
          <input
            name="newPassword"
            type="password"
            required
            minLength={12}
            autocomplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <fieldset>
          <legend>Roles</legend>
          {roleNames.map((role) => (
            <label key={role}>
              <input
                type="checkbox"
                name={`new-role-${role}`}
                checked={roles.includes(role)}
                onChange={(e) => setRoles((r) => (e.currentTarget.checked ? [...r, role] : r.filter((x) => x !== role)))}
              />
              {role}
            </label>
          ))}
        </fieldset>
        <ErrorNotice error={error} />
        {created && <p role="status">Created {created}.</p>}
        <button type="submit" aria-busy={busy} disabled={busy}>
          Create user
        </button>
      </form>
    </article>
  );
}

function RolesPanel({ roles, error, onChanged }: { roles?: RoleView[]; error?: unknown; onChanged: () => void }) {
  const { api } = useSignedIn();
  const [name, setName] = useState('');
  const [actionError, setActionError] = useState<unknown>();
  const run = async (action: () => Promise<unknown>) => {
    setActionError(undefined);
    try {
      await action();
      setName('');
    } catch (err) {
      setActionError(err);
    }
    onChanged();
  };
  return (
    <article>
      <header>
        <strong>Roles</strong>
      </header>
      <ErrorNotice error={error ?? actionError} />
      <table data-testid="roles-table">
        <tbody>
          {roles?.map((role) => (
            <tr key={role.id}>
              <th scope="row">{role.name}</th>
              <td>{role.userCount} user(s)</td>
              <td>
                {role.protected ? (
                  <small>built in</small>
                ) : (
                  <button
                    class="secondary outline"
                    onClick={() => void run(() => api.deleteRole(role.name))}
                    aria-label={`Delete role ${role.name}`}
                  >
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form
        aria-label="Create a role"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api.createRole(name.trim()));
        }}
      >
        <fieldset role="group">
          <input
            name="roleName"
            placeholder="new role"
            aria-label="New role name"
            required
            pattern="[a-z][a-z0-9_\-]{1,31}"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <input type="submit" value="Add role" />
        </fieldset>
      </form>
    </article>
  );
}

/** Pico's modal: a native <dialog> opened with showModal() (focus trapped, Esc cancels). */
function ConfirmDialog(props: {
  open: boolean;
  title: string;
  message: string;
  confirmLabel: string;
  onClose: (confirmed: boolean) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (props.open && !element.open) element.showModal();
    if (!props.open && element.open) element.close();
  }, [props.open]);
  return (
    <dialog ref={dialog} onCancel={() => props.onClose(false)}>
      <article>
        <h3>{props.title}</h3>
        <p>{props.message}</p>
        <footer>
          <button class="secondary" onClick={() => props.onClose(false)}>
            Cancel
          </button>{' '}
          <button onClick={() => props.onClose(true)}>{props.confirmLabel}</button>
        </footer>
      </article>
    </dialog>
  );
}
