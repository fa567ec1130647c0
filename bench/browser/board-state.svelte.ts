/** The board bench's state as runes: the reps the board shows and its clock. */
import type { RepView } from '../../src/lib/team/board';

export class BoardState {
  reps = $state.raw<RepView[]>([]);
  now = $state(0);
}
