public import CaseTrackCore
import Foundation
import Yams

/// The pipeline definitions of a directory, each `*.yaml` file one pipeline.
public enum PipelineCatalog {
    /// Loads and validates every definition; the first bad file fails the
    /// whole load, with a message naming the file and the problem.
    public static func load(directory: String) throws(ConfigurationError) -> [String: Pipeline] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw ConfigurationError(file: directory, problem: "cannot list pipeline definitions: \(error.localizedDescription)")
        }
        guard !names.isEmpty else {
            throw ConfigurationError(file: directory, problem: "no pipeline definitions (*.yaml)")
        }
        var pipelines: [String: Pipeline] = [:]
        var files: [String: String] = [:]
        for name in names {
            let file = (directory as NSString).appendingPathComponent(name)
            let pipeline = try load(file: file)
            if let other = files[pipeline.name] {
                throw ConfigurationError(file: file, problem: "pipeline '\(pipeline.name)' is also defined in \(other)")
            }
            files[pipeline.name] = file
            pipelines[pipeline.name] = pipeline
        }
        return pipelines
    }

    public static func load(file: String) throws(ConfigurationError) -> Pipeline {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: file, problem: "cannot read it: \(error.localizedDescription)")
        }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> Pipeline {
        let definition: PipelineDefinition
        do {
            definition = try YAMLDecoder().decode(PipelineDefinition.self, from: text)
        } catch let error as DecodingError {
            throw ConfigurationError(file: file, problem: ConfigurationError.describe(error))
        } catch {
            throw ConfigurationError(file: file, problem: "not valid YAML: \(error)")
        }
        do {
            return try definition.validated()
        } catch {
            throw ConfigurationError(file: file, problem: error.description)
        }
    }
}
