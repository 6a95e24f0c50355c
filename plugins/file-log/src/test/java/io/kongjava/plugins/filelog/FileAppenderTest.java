package io.kongjava.plugins.filelog;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.time.Duration;

class FileAppenderTest {

    static final Set<PosixFilePermission> MODE = FileLogPlugin.permissions("0644");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static FileAppender appender(Path path) {
        return new FileAppender(path, p -> FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    }

    static byte[] line(int writer, int n, int padding) {
        return ("{\"writer\":" + writer + ",\"n\":" + n + ",\"pad\":\"" + "x".repeat(padding) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Every line of the files parses, and together they hold each (writer, n) exactly once. */
    static void assertEveryLineWholeAndPresent(List<Path> files, int writers, int perWriter) throws IOException {
        Set<String> seen = new java.util.HashSet<>();
        for (Path file : files) {
            if (!Files.exists(file)) {
                continue;
            }
            for (String text : Files.readAllLines(file)) {
                var json = JSON.readTree(text);
                assertThat(seen.add(json.path("writer").asInt() + "/" + json.path("n").asInt())).as("duplicate line").isTrue();
            }
        }
        assertThat(seen).hasSize(writers * perWriter);
    }

    @Test
    void sixteenConcurrentWritersNeverTearOrLoseALineHoweverLong() throws Exception {
        Path path = dir.resolve("load.json");
        FileAppender appender = appender(path);
        int writers = 16;
        int perWriter = 60;
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    for (int n = 0; n < perWriter; n++) {
                        int padding = n % 3 == 0 ? 100_000 : 20;
                        assertThat(appender.append(line(writer, n, padding), false, MODE).written()).isTrue();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        assertEveryLineWholeAndPresent(List.of(path), writers, perWriter);
        assertThat(appender.lines()).isEqualTo(writers * perWriter);
    }

    /**
     * Sixteen writers' lines; writer 0 halfway through sets the disk's free space to {@code spaceLeftHalfway} (none: -1);
     * a slow disk takes a millisecond for each write call.
     */
    private record LoadResult(Set<String> reportedWritten, int lines, int writeCalls, FileAppender appender, Path path) {
    }

    private LoadResult sixteenWriters(String name, long spaceLeftHalfway, boolean slowDisk) throws Exception {
        Path path = dir.resolve(name);
        AtomicLong space = new AtomicLong(Long.MAX_VALUE);
        AtomicInteger writeCalls = new AtomicInteger();
        FileAppender appender = new FileAppender(path, p -> new LimitedChannel(FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND), space) {
            private boolean gathering;

            @Override
            public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
                writeCalls.incrementAndGet();
                if (slowDisk) {
                    try {
                        Thread.sleep(1); // a disk that takes its time: the other writers' lines wait meanwhile
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                }
                gathering = true;
                try {
                    return super.write(srcs, offset, length);
                } finally {
                    gathering = false;
                }
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (!gathering) {
                    writeCalls.incrementAndGet();
                }
                return super.write(src);
            }
        });
        int writers = 16;
        int perWriter = 500;
        java.util.Map<String, Boolean> reported = new java.util.concurrent.ConcurrentHashMap<>();
        List<Future<?>> done = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(writers)) {
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    for (int n = 0; n < perWriter; n++) {
                        if (writer == 0 && n == perWriter / 2 && spaceLeftHalfway >= 0) {
                            space.set(spaceLeftHalfway); // the disk fills up while the others keep writing
                        }
                        reported.put(writer + "/" + n, appender.append(line(writer, n, 40), false, MODE).written());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        Set<String> reportedWritten = new java.util.HashSet<>();
        reported.forEach((key, written) -> {
            if (written) {
                reportedWritten.add(key);
            }
        });
        return new LoadResult(reportedWritten, writers * perWriter, writeCalls.get(), appender, path);
    }

    @Test
    void anOpenerThatThrowsFailsEveryWaitingLineAtOnceAndLeavesNoCallerWaiting() throws Exception {
        // a file system without POSIX modes throws UnsupportedOperationException from createFile, say
        FileAppender appender = new FileAppender(dir.resolve("never.json"), p -> {
            throw new UnsupportedOperationException("no POSIX file modes here");
        });
        List<Future<FileAppender.Outcome>> outcomes = new ArrayList<>();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 80; i++) {
                int n = i;
                outcomes.add(pool.submit(() -> appender.append(line(0, n, 10), false, MODE)));
            }
            for (Future<FileAppender.Outcome> outcome : outcomes) {
                assertThat(outcome.get(10, TimeUnit.SECONDS).written()).isFalse();
            }
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("nobody waited for the 5 s limit").isLessThan(Duration.ofSeconds(4));
        assertThat(appender.failures()).isEqualTo(80);
    }

    @Test
    void linesArrivingTogetherShareASystemCall() throws Exception {
        LoadResult load = sixteenWriters("batched.json", -1, true);

        assertEveryLineWholeAndPresent(List.of(load.path()), 16, 500);
        assertThat(load.reportedWritten()).hasSize(load.lines());
        assertThat(load.writeCalls()).as("system calls for " + load.lines() + " lines").isLessThan(load.lines());
    }

    @Test
    void aDiskFillingUpMidBatchFailsOnlyTheLinesThatDidNotFitAndEveryOutcomeIsTrue() throws Exception {
        LoadResult load = sixteenWriters("filling.json", 20_000, false);

        Set<String> inFile = new java.util.HashSet<>();
        for (String text : Files.readAllLines(load.path())) {
            var json = JSON.readTree(text); // a torn or glued line would not parse
            assertThat(inFile.add(json.path("writer").asInt() + "/" + json.path("n").asInt())).as("duplicate line").isTrue();
        }
        assertThat(inFile).as("exactly the lines said to be written are in the file").isEqualTo(load.reportedWritten());
        assertThat(load.appender().lines()).isEqualTo(load.reportedWritten().size());
        assertThat(load.appender().failures()).isEqualTo(load.lines() - load.reportedWritten().size()).isPositive();
    }

    @Test
    void renamedAndDeletedFilesDuringLoadLoseNoLine() throws Exception {
        for (boolean reopen : new boolean[] {false, true}) {
            Path path = dir.resolve("rotated-" + reopen + ".json");
            Path rotated = dir.resolve("rotated-" + reopen + ".json.1");
            Path deletedButLinked = dir.resolve("rotated-" + reopen + ".json.link");
            FileAppender appender = appender(path);
            AtomicInteger sent = new AtomicInteger();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    int writer = w;
                    done.add(pool.submit(() -> {
                        for (int n = 0; !stop.get(); n++) {
                            assertThat(appender.append(line(writer, n, 200), reopen, MODE).written()).isTrue();
                            sent.incrementAndGet();
                        }
                        return null;
                    }));
                }
                awaitLines(path, 50);
                // logrotate without copytruncate renames the live file...
                Files.move(path, rotated);
                awaitLines(path, 50);
                // ...and an operator deletes the new one (a hard link keeps its content countable).
                Files.createLink(deletedButLinked, path);
                Files.delete(path);
                awaitLines(path, 50);
                stop.set(true);
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            }
            long inFiles = 0;
            for (Path file : List.of(rotated, deletedButLinked, path)) {
                inFiles += Files.readAllLines(file).size();
            }
            assertThat(inFiles).as("reopen=%s: lines in the rotated, deleted and fresh files", reopen).isEqualTo(sent.get());
            assertThat(appender.lines()).isEqualTo(sent.get());
        }
    }

    /** Waits until the file at {@code path} exists and holds at least {@code count} lines. */
    static void awaitLines(Path path, int count) {
        await("a fresh file with " + count + " lines at " + path).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
                .until(() -> Files.exists(path) && Files.readAllLines(path).size() >= count);
    }

    @Test
    void aDiskThatFillsUpLeavesNoHalfLineAndTheNextLineAfterSpaceReturnsIsWritten() throws Exception {
        Path path = dir.resolve("full.json");
        AtomicLong space = new AtomicLong(100);
        AtomicInteger opens = new AtomicInteger();
        FileAppender appender = new FileAppender(path, p -> {
            opens.incrementAndGet();
            return new LimitedChannel(FileChannel.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND), space);
        });

        assertThat(appender.append("{\"n\":1}\n".getBytes(StandardCharsets.UTF_8), false, MODE).written()).isTrue();
        FileAppender.Outcome full = appender.append(line(0, 2, 500), false, MODE);

        assertThat(full.written()).isFalse();
        assertThat(full.stage()).isEqualTo("write");
        assertThat(full.failure()).isEqualTo("No space left on device");
        assertThat(Files.readString(path)).isEqualTo("{\"n\":1}\n");
        assertThat(appender.failures()).isEqualTo(1);
        space.set(1 << 20);
        assertThat(appender.append("{\"n\":3}\n".getBytes(StandardCharsets.UTF_8), false, MODE).written()).isTrue();
        assertThat(Files.readAllLines(path)).containsExactly("{\"n\":1}", "{\"n\":3}");
        assertThat(opens.get()).as("a failed write reopens the file").isEqualTo(2);
    }

    @Test
    void aRealFullFilesystemWhereTheTestMayMountOne() throws Exception {
        Path mount = Files.createDirectory(dir.resolve("tiny"));
        Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString())
                .redirectErrorStream(true).start();
        boolean mounted = mounting.waitFor(10, TimeUnit.SECONDS) && mounting.exitValue() == 0;
        Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root and a mount namespace); the simulated full disk covers it");
        try {
            Path path = mount.resolve("full.json");
            FileAppender appender = appender(path);
            int written = 0;
            FileAppender.Outcome outcome;
            do {
                outcome = appender.append(line(0, written, 3000), false, MODE);
                if (outcome.written()) {
                    written++;
                }
            } while (outcome.written() && written < 1000);

            assertThat(outcome.written()).isFalse();
            assertThat(outcome.failure()).contains("No space left on device");
            assertThat(Files.readAllLines(path)).hasSize(written).allSatisfy(text -> JSON.readTree(text));
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSymbolicLinkToAFileNotYetThereIsFollowedAndTheFileCreatedAsOpenWithOCreatDoes() throws Exception {
        Path target = dir.resolve("logs/target.log");
        Files.createDirectories(target.getParent());
        Path link = Files.createSymbolicLink(dir.resolve("logs/link.log"), Path.of("target.log"));

        FileAppender.Outcome outcome = appender(link).append(line(1, 1, 0), false, MODE);

        assertThat(outcome.written()).as(String.valueOf(outcome.failure())).isTrue();
        assertThat(Files.readString(target)).isEqualTo(new String(line(1, 1, 0), StandardCharsets.UTF_8));
        assertThat(Files.isSymbolicLink(link)).isTrue();
    }

    @Test
    void aReadOnlyDirectoryGivesPermissionDeniedAndNoFile() throws Exception {
        Path readOnly = Files.createDirectory(dir.resolve("read-only"));
        Files.setPosixFilePermissions(readOnly, FileLogPlugin.permissions("0555"));
        boolean mounted = false;
        if (Files.isWritable(readOnly)) {
            // root ignores directory modes; a read-only mount is what stops root
            Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", readOnly.toString())
                    .redirectErrorStream(true).start();
            mounted = mounting.waitFor(10, TimeUnit.SECONDS) && mounting.exitValue() == 0;
            Assumptions.assumeTrue(mounted, "running as root without mount rights: a read-only directory cannot be made here");
        }
        try {
            Path path = readOnly.resolve("denied.json");
            FileAppender appender = appender(path);

            FileAppender.Outcome outcome = appender.append(line(0, 0, 10), false, MODE);

            assertThat(outcome.written()).isFalse();
            assertThat(outcome.stage()).isEqualTo("open");
            assertThat(outcome.failure()).isIn("Permission denied", "Read-only file system");
            assertThat(appender.failures()).isEqualTo(1);
            assertThat(Files.exists(path)).isFalse();
        } finally {
            if (mounted) {
                new ProcessBuilder("umount", readOnly.toString()).start().waitFor(10, TimeUnit.SECONDS);
            }
            Files.setPosixFilePermissions(readOnly, FileLogPlugin.permissions("0755"));
        }
    }

    /** A channel over a disk with this many bytes left: a write beyond them stores part of it, then fails as Linux does. */
    static class LimitedChannel extends FileChannel {
        private final FileChannel delegate;
        private final AtomicLong space;

        LimitedChannel(FileChannel delegate, AtomicLong space) {
            this.delegate = delegate;
            this.space = space;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            long left = space.get();
            if (left <= 0) {
                throw new IOException("No space left on device");
            }
            if (src.remaining() > left) {
                ByteBuffer part = src.duplicate();
                part.limit(part.position() + (int) left);
                int n = delegate.write(part);
                src.position(src.position() + n);
                space.addAndGet(-n);
                return n;
            }
            int n = delegate.write(src);
            space.addAndGet(-n);
            return n;
        }

        @Override public int read(ByteBuffer dst) throws IOException { return delegate.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return delegate.read(dsts, offset, length); }
        /** writev(2) on a disk filling up: a short count when some bytes went in, the error when none did. */
        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                while (srcs[i].hasRemaining()) {
                    if (space.get() <= 0) {
                        if (total > 0) {
                            return total;
                        }
                        throw new IOException("No space left on device");
                    }
                    total += write(srcs[i]);
                }
            }
            return total;
        }
        @Override public long position() throws IOException { return delegate.position(); }
        @Override public FileChannel position(long newPosition) throws IOException { delegate.position(newPosition); return this; }
        @Override public long size() throws IOException { return delegate.size(); }
        @Override public FileChannel truncate(long size) throws IOException { delegate.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException { delegate.force(metaData); }
        @Override public long transferTo(long position, long count, java.nio.channels.WritableByteChannel target) throws IOException { return delegate.transferTo(position, count, target); }
        @Override public long transferFrom(java.nio.channels.ReadableByteChannel src, long position, long count) throws IOException { return delegate.transferFrom(src, position, count); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return delegate.read(dst, position); }
        @Override public int write(ByteBuffer src, long position) throws IOException { return delegate.write(src, position); }
        @Override public java.nio.MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { return delegate.map(mode, position, size); }
        @Override public java.nio.channels.FileLock lock(long position, long size, boolean shared) throws IOException { return delegate.lock(position, size, shared); }
        @Override public java.nio.channels.FileLock tryLock(long position, long size, boolean shared) throws IOException { return delegate.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { delegate.close(); }
    }
}
