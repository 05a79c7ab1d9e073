import type { ClusterLink } from './cluster-link.js';
import type { PresenceStore } from './presence.js';

/** Keeps this instance's presence and its peers' in step: what `presence` lists is the cluster's. */
export interface ClusterPresence {
  /** Tells the peers this instance's current entries (the link skips an unchanged list). */
  announce(): void;
  stop(): void;
}

export function linkClusterPresence(cluster: ClusterLink, presence: PresenceStore): ClusterPresence {
  const off = cluster.onPeer((peer) => presence.setRemote(peer.instanceId, peer.entries));
  for (const peer of cluster.peers()) presence.setRemote(peer.instanceId, peer.entries);
  return {
    announce() {
      const [self, ...clients] = presence.localList();
      // The instance id tells one gateway's own entry from another's in the merged list.
      cluster.announcePresence([{ ...self!, instanceId: cluster.instanceId }, ...clients]);
    },
    stop() {
      off();
      for (const peer of cluster.peers()) presence.setRemote(peer.instanceId, []);
    },
  };
}
