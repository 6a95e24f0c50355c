/** What Kong's Lua PDK offers an external plugin, in one place; read by the PDK, the plugin server and Kong's side. */
module io.kongjava.catalogue {
    exports io.kongjava.catalogue;
}
