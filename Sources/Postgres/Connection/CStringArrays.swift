/// Builds a C array of NUL-terminated strings (`const char * const *`) for the duration of
/// `body` only. All strings live in one contiguous buffer, and every pointer handed to C is
/// derived inside `withUnsafeBufferPointer`, so none can outlive its storage.
func withCStringArray<R>(
    _ strings: [String?],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
) -> R {
    if strings.isEmpty { return body(nil) }
    var storage: [CChar] = []
    var offsets: [Int?] = []
    offsets.reserveCapacity(strings.count)
    for string in strings {
        guard let string else {
            offsets.append(nil)
            continue
        }
        offsets.append(storage.count)
        storage.append(contentsOf: string.utf8CString)
    }
    return storage.withUnsafeBufferPointer { buffer in
        let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
            offset.map { buffer.baseAddress! + $0 }
        }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

/// Two parallel NULL-terminated string arrays, as `PQconnectdbParams` wants them.
func withCStringArrays<R>(
    _ first: [String],
    _ second: [String],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R
) -> R {
    withCStringArray(first + [nil]) { keywords in
        withCStringArray(second + [nil]) { values in
            body(keywords, values)
        }
    }
}
