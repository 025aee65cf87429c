use paddock_sdk::storage::*;

struct Fake;
struct Reader;
impl ObjectReader for Reader {
    fn read(&self, _max: u32) -> Result<Option<Vec<u8>>> { Ok(None) }
}
impl Driver for Fake {
    type ObjectReader = Reader;
    fn describe() -> Manifest { todo!() }
    fn put(_c: String, _k: String, body: &BodySource, _o: PutOptions) -> Result<ObjectMeta> { let _ = body.read(1); todo!() }
    fn get(_c: String, _k: String, _r: Option<ByteRange>) -> Result<ObjectContent> { Ok(ObjectContent{ meta: todo!(), offset:0, length:0, body: ObjectReaderHandle::new(Reader)}) }
    fn head(_c: String, _k: String) -> Result<ObjectMeta> { todo!() }
    fn delete(_c: String, _k: String) -> Result<()> { todo!() }
    fn list(_c: String, _p: Option<String>, _d: Option<String>, _cu: Option<String>, _l: Option<u32>) -> Result<ObjectPage> { todo!() }
    fn create_container(_n: String) -> Result<()> { todo!() }
    fn list_containers() -> Result<Vec<ContainerInfo>> { todo!() }
    fn delete_container(_n: String) -> Result<()> { todo!() }
    fn health() -> Result<HealthReport> { todo!() }
}
export_storage_driver!(Fake);
