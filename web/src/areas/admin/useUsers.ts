import { useQuery } from '@tanstack/react-query';
import { collect } from '../../api/index.js';
import { useApi } from '../../app/session.js';

/** The most users loaded for pickers and name look-ups; beyond that the picker says so. */
export const userListLimit = 500;

/** Up to `userListLimit` users, for pickers and for showing names instead of ids (admins only). */
export function useUsers(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: ['users', 'all'],
    queryFn: () => collect((query) => api.users.list(query), userListLimit),
    enabled,
  });
}
