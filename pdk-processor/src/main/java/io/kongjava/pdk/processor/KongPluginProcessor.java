package io.kongjava.pdk.processor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.annotation.processing.AbstractProcessor;
import javax.annotation.processing.RoundEnvironment;
import javax.annotation.processing.SupportedAnnotationTypes;
import javax.lang.model.SourceVersion;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.AnnotationValue;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.NestingKind;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.ElementFilter;
import javax.tools.Diagnostic;
import javax.tools.FileObject;
import javax.tools.StandardLocation;

/**
 * Checks every Kong plugin class of a compilation and registers it for {@link java.util.ServiceLoader}.
 *
 * <p>A concrete class implementing {@code io.kongjava.pdk.KongPlugin} must carry
 * {@code @KongPlugin.Info} with a Kong plugin name and an {@code x.y.z} version, name a record as
 * {@code KongPlugin}'s type argument, be public (and static when nested) and have a public no-argument
 * constructor: what the plugin server needs to load and describe it. Each of these is a compile error
 * here, on the class or the annotation value at fault, instead of a plugin the server skips at start.
 * The classes that pass are written to {@code META-INF/services/io.kongjava.pdk.KongPlugin}, merged with
 * the entries an earlier (incremental) compilation left there.
 *
 * <p>The processor knows the API by name only, so it has no dependency on {@code kong-java-pdk}.
 */
@SupportedAnnotationTypes("*")
public final class KongPluginProcessor extends AbstractProcessor {

    static final String PLUGIN = "io.kongjava.pdk.KongPlugin";
    static final String INFO = "io.kongjava.pdk.KongPlugin.Info";
    static final String SERVICE_FILE = "META-INF/services/" + PLUGIN;

    /** Kong's plugin names, as the plugin server checks them too. */
    private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_-]*$");
    private static final Pattern VERSION = Pattern.compile("^\\d+\\.\\d+(\\.\\d+)?$");

    private final Set<String> registered = new TreeSet<>();

    @Override
    public SourceVersion getSupportedSourceVersion() {
        return SourceVersion.latestSupported();
    }

    @Override
    public boolean process(Set<? extends TypeElement> annotations, RoundEnvironment round) {
        TypeElement pluginType = processingEnv.getElementUtils().getTypeElement(PLUGIN);
        if (pluginType == null) {
            return false; // kong-java-pdk is not on the class path: nothing here can be a plugin
        }
        for (TypeElement type : ElementFilter.typesIn(round.getRootElements())) {
            visit(type, pluginType);
        }
        if (round.processingOver() && !registered.isEmpty()) {
            writeServiceFile();
        }
        return false;
    }

    private void visit(TypeElement type, TypeElement pluginType) {
        check(type, pluginType);
        for (TypeElement nested : ElementFilter.typesIn(type.getEnclosedElements())) {
            visit(nested, pluginType);
        }
    }

    private void check(TypeElement type, TypeElement pluginType) {
        var types = processingEnv.getTypeUtils();
        boolean isPlugin = (type.getKind() == ElementKind.CLASS || type.getKind() == ElementKind.RECORD)
                && types.isSubtype(types.erasure(type.asType()), types.erasure(pluginType.asType()));
        Optional<AnnotationMirror> info = infoOf(type);
        if (!isPlugin) {
            info.ifPresent(mirror -> error("@KongPlugin.Info is only for classes that implement KongPlugin", type, mirror, null));
            return;
        }
        if (type.getModifiers().contains(Modifier.ABSTRACT)) {
            info.ifPresent(mirror -> error("@KongPlugin.Info on an abstract class: put it on the concrete plugin class",
                    type, mirror, null));
            return;
        }
        if (info.isEmpty()) {
            error("plugin class " + type.getQualifiedName() + " needs @KongPlugin.Info(name = \"...\", version = \"x.y.z\","
                    + " priority = ...): Kong knows a plugin by its name, version and priority", type, null, null);
            return;
        }
        boolean valid = checkInfo(type, info.get());
        valid &= checkConfigType(type, pluginType);
        valid &= checkInstantiable(type);
        if (valid) {
            registered.add(processingEnv.getElementUtils().getBinaryName(type).toString());
            warnIfNoPhase(type);
        }
    }

    private static final Set<String> PHASE_METHODS = Set.of("certificate", "rewrite", "access", "response", "preread", "log");

    /** A plugin that overrides no phase method is dumped with no phases, and Kong never calls it (an {@code acess} typo, say). */
    private void warnIfNoPhase(TypeElement type) {
        for (TypeElement current = type; current != null; ) {
            for (var method : ElementFilter.methodsIn(current.getEnclosedElements())) {
                if (PHASE_METHODS.contains(method.getSimpleName().toString()) && method.getParameters().size() == 2
                        && !method.getModifiers().contains(Modifier.ABSTRACT)) {
                    return;
                }
            }
            TypeMirror superclass = current.getSuperclass();
            current = superclass instanceof DeclaredType declared ? (TypeElement) declared.asElement() : null;
        }
        processingEnv.getMessager().printMessage(Diagnostic.Kind.WARNING, "plugin " + type.getQualifiedName()
                + " overrides no phase method (" + String.join(", ", List.of("certificate", "rewrite", "access", "response", "preread", "log"))
                + "): Kong will never call it; mark phase methods @Override to catch a misspelt one", type);
    }

    private Optional<AnnotationMirror> infoOf(TypeElement type) {
        return type.getAnnotationMirrors().stream()
                .filter(mirror -> ((TypeElement) mirror.getAnnotationType().asElement()).getQualifiedName().contentEquals(INFO))
                .map(mirror -> (AnnotationMirror) mirror)
                .findFirst();
    }

    private boolean checkInfo(TypeElement type, AnnotationMirror info) {
        boolean valid = true;
        for (var entry : info.getElementValues().entrySet()) {
            String member = entry.getKey().getSimpleName().toString();
            AnnotationValue value = entry.getValue();
            if (member.equals("name") && !NAME.matcher(String.valueOf(value.getValue())).matches()) {
                error("invalid plugin name \"" + value.getValue() + "\": use lower-case letters, digits, '-' and '_'"
                        + " (it is the name in Kong's plugins setting)", type, info, value);
                valid = false;
            }
            if (member.equals("version") && !VERSION.matcher(String.valueOf(value.getValue())).matches()) {
                error("invalid plugin version \"" + value.getValue() + "\": Kong wants x.y.z (or x.y)", type, info, value);
                valid = false;
            }
        }
        return valid;
    }

    /** The type argument KongPlugin gets along the class's supertypes, which must be a record. */
    private boolean checkConfigType(TypeElement type, TypeElement pluginType) {
        TypeMirror argument = kongPluginArgument(type.asType(), pluginType);
        if (argument instanceof DeclaredType declared && declared.asElement().getKind() == ElementKind.RECORD) {
            return checkRecord((TypeElement) declared.asElement(), new java.util.HashSet<>());
        }
        error("plugin class " + type.getQualifiedName() + " must name its config record as KongPlugin's type argument"
                + " (implements KongPlugin<MyConfig>, where MyConfig is a record)"
                + (argument == null ? "; it implements the raw KongPlugin" : "; found " + argument), type, null, null);
        return false;
    }

    private static final Set<String> STRINGS = Set.of("java.lang.String", "java.lang.CharSequence");
    private static final Set<String> NUMBERS = Set.of("java.lang.Integer", "java.lang.Long", "java.lang.Short", "java.lang.Byte",
            "java.math.BigInteger", "java.lang.Double", "java.lang.Float", "java.math.BigDecimal", "java.lang.Boolean");
    private static final Set<String> COLLECTIONS = Set.of("java.util.List", "java.util.Collection", "java.lang.Iterable", "java.util.Set");
    private static final Set<String> OPTIONALS = Set.of("java.util.Optional", "java.util.OptionalInt", "java.util.OptionalLong",
            "java.util.OptionalDouble");
    /** The types a config record may hold: the PDK's ConfigModel binds these and nothing else. */
    static final String KONG_TYPES = "String, int/long/double/boolean and their boxes, enums, records, List, Set, Map<String, V>, Optional";

    /**
     * Each component of the config record (and of the records it holds) must have a Kong schema type, or the plugin
     * server skips the plugin at start and its schema cannot be dumped: said here, at the component, instead.
     */
    private boolean checkRecord(TypeElement record, Set<TypeElement> visiting) {
        if (!visiting.add(record)) {
            return true;
        }
        boolean valid = true;
        for (var component : record.getRecordComponents()) {
            TypeMirror componentType = component.asType();
            String where = record.getSimpleName() + "." + component.getSimpleName();
            if (componentType instanceof DeclaredType declared && OPTIONALS.contains(qualifiedName(declared))) {
                String optional = qualifiedName(declared);
                TypeMirror held = !declared.getTypeArguments().isEmpty() ? declared.getTypeArguments().getFirst() : null;
                if (held != null) {
                    valid &= checkShape(held, where, component, visiting);
                }
                valid &= checkDefault(component, where, optional.endsWith("Int") || optional.endsWith("Long") ? "long"
                        : optional.endsWith("Double") ? "double" : null, held);
                continue;
            }
            valid &= checkShape(componentType, where, component, visiting);
            valid &= checkDefault(component, where, null, componentType);
        }
        visiting.remove(record);
        return valid;
    }

    private boolean checkShape(TypeMirror type, String where, Element component, Set<TypeElement> visiting) {
        if (type instanceof javax.lang.model.type.WildcardType wildcard && wildcard.getExtendsBound() != null) {
            return checkShape(wildcard.getExtendsBound(), where, component, visiting);
        }
        switch (type.getKind()) {
            case INT, LONG, SHORT, BYTE, DOUBLE, FLOAT, BOOLEAN -> {
                return true;
            }
            case DECLARED -> {
                DeclaredType declared = (DeclaredType) type;
                String name = qualifiedName(declared);
                ElementKind kind = declared.asElement().getKind();
                if (STRINGS.contains(name) || NUMBERS.contains(name) || kind == ElementKind.ENUM) {
                    return true;
                }
                if (kind == ElementKind.RECORD) {
                    return checkRecord((TypeElement) declared.asElement(), visiting);
                }
                List<? extends TypeMirror> arguments = declared.getTypeArguments();
                if (COLLECTIONS.contains(name) && arguments.size() == 1) {
                    return checkShape(arguments.getFirst(), where + "[]", component, visiting);
                }
                if (name.equals("java.util.Map") && arguments.size() == 2) {
                    TypeMirror key = arguments.getFirst();
                    if (!(key instanceof DeclaredType keyType && qualifiedName(keyType).equals("java.lang.String"))) {
                        error(where + ": map keys must be String (Kong map keys are strings)", component, null, null);
                        return false;
                    }
                    return checkShape(arguments.get(1), where + "{}", component, visiting);
                }
                if (OPTIONALS.contains(name)) {
                    error(where + ": Optional is only allowed as a record component's own type", component, null, null);
                    return false;
                }
            }
            default -> {
            }
        }
        error(where + ": type " + type + " has no Kong schema type (use " + KONG_TYPES + ")", component, null, null);
        return false;
    }

    static final String DEFAULT = "io.kongjava.pdk.schema.Default";
    static final String KONG_NAME = "io.kongjava.pdk.schema.KongName";

    /**
     * A component's {@code @Default} must bind to its type, as the plugin server checks when it loads the plugin (and
     * skips a plugin whose default does not): said here, at the annotation, instead. {@code primitive} names the
     * type of an OptionalInt/Long/Double; else {@code type} is the component's (or its Optional's) type.
     */
    private boolean checkDefault(Element component, String where, String primitive, TypeMirror type) {
        AnnotationMirror mirror = annotation(component, DEFAULT);
        if (mirror == null) {
            for (var accessor : ElementFilter.methodsIn(component.getEnclosingElement().getEnclosedElements())) {
                if (accessor.getSimpleName().contentEquals(component.getSimpleName()) && accessor.getParameters().isEmpty()) {
                    mirror = annotation(accessor, DEFAULT);
                }
            }
        }
        if (mirror == null) {
            return true;
        }
        AnnotationValue value = mirror.getElementValues().entrySet().stream()
                .filter(e -> e.getKey().getSimpleName().contentEquals("value")).map(java.util.Map.Entry::getValue).findFirst().orElse(null);
        if (value == null) {
            return true;
        }
        String text = String.valueOf(value.getValue());
        String kind = primitive;
        List<String> constants = null;
        if (kind == null && type != null) {
            switch (type.getKind()) {
                case INT, LONG, SHORT, BYTE -> kind = "long";
                case DOUBLE, FLOAT -> kind = "double";
                case BOOLEAN -> kind = "boolean";
                case DECLARED -> {
                    DeclaredType declared = (DeclaredType) type;
                    String name = qualifiedName(declared);
                    if (declared.asElement().getKind() == ElementKind.ENUM) {
                        kind = "enum";
                        constants = new java.util.ArrayList<>();
                        for (Element constant : declared.asElement().getEnclosedElements()) {
                            if (constant.getKind() == ElementKind.ENUM_CONSTANT) {
                                AnnotationMirror kongName = annotation(constant, KONG_NAME);
                                constants.add(kongName != null ? String.valueOf(kongName.getElementValues().values().iterator().next().getValue())
                                        : constant.getSimpleName().toString().toLowerCase(java.util.Locale.ROOT));
                            }
                        }
                    } else if (Set.of("java.lang.Integer", "java.lang.Long", "java.lang.Short", "java.lang.Byte", "java.math.BigInteger").contains(name)) {
                        kind = "long";
                    } else if (Set.of("java.lang.Double", "java.lang.Float", "java.math.BigDecimal").contains(name)) {
                        kind = "double";
                    } else if (name.equals("java.lang.Boolean")) {
                        kind = "boolean";
                    }
                }
                default -> {
                }
            }
        }
        String problem = null;
        if ("long".equals(kind) && !text.strip().matches("-?\\d+")) {
            problem = "is not an integer";
        } else if ("double".equals(kind) && !text.strip().matches("-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) {
            problem = "is not a number";
        } else if ("boolean".equals(kind) && !text.strip().equals("true") && !text.strip().equals("false")) {
            problem = "is not true or false";
        } else if ("enum".equals(kind) && !constants.contains(text)) {
            problem = "is not one of " + constants + " (the constants' Kong names)";
        }
        if (problem != null) {
            error(where + ": @Default(\"" + text + "\") " + problem, component, mirror, value);
            return false;
        }
        return true;
    }

    private static AnnotationMirror annotation(Element element, String name) {
        for (AnnotationMirror mirror : element.getAnnotationMirrors()) {
            if (((TypeElement) mirror.getAnnotationType().asElement()).getQualifiedName().contentEquals(name)) {
                return mirror;
            }
        }
        return null;
    }

    private static String qualifiedName(DeclaredType type) {
        return ((TypeElement) type.asElement()).getQualifiedName().toString();
    }

    private TypeMirror kongPluginArgument(TypeMirror type, TypeElement pluginType) {
        var types = processingEnv.getTypeUtils();
        for (TypeMirror supertype : types.directSupertypes(type)) {
            if (supertype instanceof DeclaredType declared && declared.asElement().equals(pluginType)) {
                return declared.getTypeArguments().isEmpty() ? null : declared.getTypeArguments().getFirst();
            }
            if (types.isSubtype(types.erasure(supertype), types.erasure(pluginType.asType()))) {
                TypeMirror found = kongPluginArgument(supertype, pluginType);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** ServiceLoader's rules: a public class, static when nested, with a public no-argument constructor. */
    private boolean checkInstantiable(TypeElement type) {
        boolean topLevelOrStatic = type.getNestingKind() == NestingKind.TOP_LEVEL
                || type.getNestingKind() == NestingKind.MEMBER && type.getModifiers().contains(Modifier.STATIC);
        if (!type.getModifiers().contains(Modifier.PUBLIC) || !topLevelOrStatic) {
            error("plugin class " + type.getQualifiedName() + " must be public (and static when nested):"
                    + " the plugin server creates it through ServiceLoader", type, null, null);
            return false;
        }
        Element enclosing = type.getEnclosingElement();
        while (enclosing instanceof TypeElement outer) {
            if (!outer.getModifiers().contains(Modifier.PUBLIC)) {
                error("plugin class " + type.getQualifiedName() + " is nested in " + outer.getSimpleName()
                        + ", which is not public: the plugin server cannot create it", type, null, null);
                return false;
            }
            enclosing = outer.getEnclosingElement();
        }
        boolean publicNoArgs = ElementFilter.constructorsIn(type.getEnclosedElements()).stream()
                .anyMatch(c -> c.getParameters().isEmpty() && c.getModifiers().contains(Modifier.PUBLIC));
        if (!publicNoArgs) {
            error("plugin class " + type.getQualifiedName() + " needs a public constructor without arguments:"
                    + " the plugin server creates it through ServiceLoader", type, null, null);
            return false;
        }
        return true;
    }

    private void writeServiceFile() {
        var filer = processingEnv.getFiler();
        Set<String> entries = new TreeSet<>(registered);
        try {
            FileObject existing = filer.getResource(StandardLocation.CLASS_OUTPUT, "", SERVICE_FILE);
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(existing.openInputStream(), StandardCharsets.UTF_8))) {
                reader.lines().map(line -> line.replaceFirst("#.*", "").strip()).filter(line -> !line.isEmpty()).forEach(entries::add);
            }
        } catch (IOException | IllegalArgumentException noEarlierFile) {
            // first compilation into this output: only this round's plugins
        }
        try {
            FileObject file = filer.createResource(StandardLocation.CLASS_OUTPUT, "", SERVICE_FILE);
            try (Writer writer = file.openWriter()) {
                for (String entry : entries) {
                    writer.write(entry);
                    writer.write('\n');
                }
            }
        } catch (IOException e) {
            processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, "cannot write " + SERVICE_FILE + ": " + e.getMessage());
        }
    }

    private void error(String message, Element element, AnnotationMirror annotation, AnnotationValue value) {
        processingEnv.getMessager().printMessage(Diagnostic.Kind.ERROR, message, element, annotation, value);
    }
}
