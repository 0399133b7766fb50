import { useQuery } from '@tanstack/react-query';
import { ApiError, getSession, type Session } from './api';

export const SESSION_KEY = ['session'] as const;

/**
 * The signed-in user, shared by every component through the query cache. `null` data means the
 * server answered 401 (nobody signed in); other failures stay errors so they can be shown.
 */
export function useSession() {
  return useQuery<Session | null>({
    queryKey: SESSION_KEY,
    queryFn: async () => {
      try {
        return await getSession();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: 60_000,
    // Back on the tab after a while: a session revoked or expired meanwhile shows at once.
    refetchOnWindowFocus: 'always',
    retry: false,
  });
}

/** Where to go after signing in: a path inside the console, never another site (`//evil`). */
export function safeNext(next: string | null): string {
  return next && /^\/(?!\/)/.test(next) && !next.includes('\\') ? next : '/';
}
