/* The least a server can spend per message when it sleeps between its client's calls: one Unix-socket
 * connection, a blocking read and a write of the same bytes, nothing else (bench/external/wakeup_floor.py). */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: wakeup_floor SOCKET\n");
        return 2;
    }
    int server = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
    if (server < 0 || bind(server, (struct sockaddr *) &address, sizeof address) != 0 || listen(server, 1) != 0) {
        perror("wakeup_floor");
        return 1;
    }
    int client = accept(server, NULL, NULL);
    char buffer[65536];
    ssize_t n;
    while ((n = read(client, buffer, sizeof buffer)) > 0) {
        for (ssize_t written = 0; written < n;) {
            ssize_t w = write(client, buffer + written, n - written);
            if (w <= 0) {
                return 1;
            }
            written += w;
        }
    }
    return 0;
}
