package io.kongjava.server;

import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Instances and events of this server. Instance ids start from a random base so that ids Kong cached before a
 * restart do not name another configuration afterwards (Kong issue #8370); they stay below 2^31 for
 * ProtoBuf-minded tools. Idle instances are expired: Kong never closes instances of deleted plugins and
 * starts a fresh one on demand after "no plugin instance".
 */
final class Registry {

    private static final System.Logger LOG = System.getLogger(Registry.class.getName());

    private final Map<Long, PluginInstance> instances = new ConcurrentHashMap<>();
    private final Map<Long, Event> events = new ConcurrentHashMap<>();
    private final AtomicLong instanceIds;
    private final AtomicLong eventIds;
    private final Duration instanceIdleTimeout;

    Registry(Duration instanceIdleTimeout) {
        SecureRandom random = new SecureRandom();
        this.instanceIds = new AtomicLong(1 + random.nextInt(1 << 30));
        this.eventIds = new AtomicLong(1 + random.nextInt(1 << 30));
        this.instanceIdleTimeout = instanceIdleTimeout;
    }

    long nextInstanceId() {
        long id = instanceIds.incrementAndGet();
        if (id >= Integer.MAX_VALUE) {
            instanceIds.set(1);
            id = instanceIds.incrementAndGet();
        }
        return id;
    }

    long nextEventId() {
        return eventIds.incrementAndGet();
    }

    /**
     * The most instances kept. Kong starts one per plugin config and nginx worker and never closes those of a deleted
     * plugin (the idle timeout does), so a large or churning config could otherwise fill the heap, and a server out of
     * memory stops answering: past this, the least recently used idle instance is forgotten. Kong, told "no plugin
     * instance" when it next uses it, forgets every instance of that plugin in all its workers and starts them again:
     * cheap now and then, a churn if the configs in use (plugin entities x nginx workers) outnumber the bound, which
     * must then be raised.
     */
    static final int MAX_INSTANCES = Integer.getInteger("kong.java.maxInstances", 10_000);
    private final java.util.concurrent.atomic.AtomicBoolean toldOfEviction = new java.util.concurrent.atomic.AtomicBoolean();

    /** @param evicted told of each instance forgotten to make room */
    void addInstance(PluginInstance instance, java.util.function.Consumer<PluginInstance> evicted) {
        instances.put(instance.id, instance);
        while (instances.size() > MAX_INSTANCES) {
            PluginInstance oldest = null;
            for (PluginInstance candidate : instances.values()) {
                if (candidate != instance && candidate.activeEvents.get() == 0
                        && (oldest == null || candidate.lastUsedNanos - oldest.lastUsedNanos < 0)) {
                    oldest = candidate;
                }
            }
            if (oldest == null) {
                return; // every other instance is busy: over the bound for now
            }
            if (!instances.remove(oldest.id, oldest)) {
                continue; // closed or evicted meanwhile: look again
            }
            evicted.accept(oldest);
            if (toldOfEviction.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "more than " + MAX_INSTANCES + " plugin instances: the least recently used are forgotten"
                        + " (Kong then restarts that plugin's instances in every worker; if the configs in use, plugins x nginx"
                        + " workers, are that many, raise the bound: -Dkong.java.maxInstances=N in KONG_JAVA_OPTS)");
            }
        }
    }

    void addInstance(PluginInstance instance) {
        addInstance(instance, evicted -> { });
    }

    PluginInstance instance(long id) {
        PluginInstance instance = instances.get(id);
        if (instance != null) {
            instance.lastUsedNanos = System.nanoTime();
        }
        return instance;
    }

    PluginInstance removeInstance(long id) {
        return instances.remove(id);
    }

    Collection<PluginInstance> instances() {
        return instances.values();
    }

    void addEvent(Event event) {
        events.put(event.id, event);
        event.instance.activeEvents.incrementAndGet();
    }

    Event event(long id) {
        return events.get(id);
    }

    void removeEvent(Event event) {
        if (events.remove(event.id, event)) {
            event.instance.activeEvents.decrementAndGet();
            event.instance.lastUsedNanos = System.nanoTime();
        }
    }

    Collection<Event> events() {
        return events.values();
    }

    /** Events that stopped waiting for a Step Kong may still send, with their phase; the oldest forgotten past 4,096. */
    private final Map<Long, String> abandoned = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
            return size() > 4096;
        }
    });

    void rememberAbandoned(Event event) {
        abandoned.put(event.id, event.phase);
    }

    /** The phase of an event that stopped waiting for its Step, once; null when none is remembered. */
    String takeAbandoned(long eventId) {
        return abandoned.remove(eventId);
    }

    int eventCount() {
        return events.size();
    }

    /** Forgets instances unused for longer than the idle timeout that have no event in flight. */
    int expireIdleInstances(java.util.function.Consumer<PluginInstance> expiredOne) {
        long now = System.nanoTime();
        int expired = 0;
        for (PluginInstance instance : instances.values()) {
            if (instance.activeEvents.get() == 0 && now - instance.lastUsedNanos > instanceIdleTimeout.toNanos()
                    && instances.remove(instance.id, instance)) {
                expired++;
                expiredOne.accept(instance);
                LOG.log(Level.DEBUG, () -> "expired idle instance #" + instance.id + " of " + instance.name());
            }
        }
        return expired;
    }
}
